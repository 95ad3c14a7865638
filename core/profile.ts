import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type, type Static } from '@sinclair/typebox';
import { parse as parseYaml } from 'yaml';
import { compile } from './validate.js';
import { Id, StringEnum } from './ids.js';
import { NUMERIC_TYPES, WORD_ORDERS, registerCount } from './codec.js';
import { READING_STATUSES, ReadingStatus } from './payloads.js';
import { isUnit } from './units.js';
import { MetronetError, type Issue } from './errors.js';

/**
 * A device model is data: one file in `profiles/` per model, validated here. The gateway decodes
 * and the simulators serve the same file; neither names a model in code.
 */
export const INSTRUMENT_KINDS = ['scale', 'fuel_dispenser', 'env_station', 'taximeter', 'water_meter', 'other'] as const;
export const InstrumentKind = StringEnum(INSTRUMENT_KINDS);
export type InstrumentKind = Static<typeof InstrumentKind>;

const Literals = <T extends readonly string[]>(values: T, description?: string) => StringEnum(values, description ? { description } : {});

export const SimHint = Type.Object(
  {
    value: Type.Number({ description: 'nominal engineering value' }),
    noise: Type.Optional(Type.Number({ minimum: 0, description: 'standard deviation of the seeded noise' })),
    ratePerSecond: Type.Optional(Type.Number({ description: 'steady increase per second (totalisers)' })),
    min: Type.Optional(Type.Number()),
    max: Type.Optional(Type.Number()),
    dailyAmplitude: Type.Optional(Type.Number({ description: 'amplitude of a daily cycle (ambient parameters)' })),
  },
  { additionalProperties: false },
);

export const ProfilePoint = Type.Object(
  {
    name: Id('point name, unique in the profile; also the default channel'),
    channel: Type.Optional(Id('published channel when it differs from the name')),
    description: Type.Optional(Type.String()),
    table: Type.Optional(Literals(['holding', 'input'] as const, 'register table; default holding')),
    address: Type.Integer({ minimum: 0, maximum: 65535 }),
    type: Literals(NUMERIC_TYPES),
    wordOrder: Type.Optional(Literals(WORD_ORDERS, 'overrides the device word order for this point')),
    scale: Type.Optional(Type.Number({ description: 'engineering = raw × scale + offset; default 1' })),
    offset: Type.Optional(Type.Number({ description: 'default 0' })),
    unit: Type.String(),
    role: Type.Optional(
      Literals(['value', 'parameter', 'status'] as const, 'value: published each poll; parameter: published when it changes; status: feeds status rules only'),
    ),
    sim: Type.Optional(SimHint),
  },
  { additionalProperties: false },
);
export type ProfilePoint = Static<typeof ProfilePoint>;

export const StatusRule = Type.Object(
  {
    point: Id('status point whose value is mapped'),
    values: Type.Record(Type.String({ pattern: '^-?\\d+$' }), ReadingStatus, { description: 'raw value → reading status' }),
    channels: Type.Optional(Type.Array(Id('channel'), { description: 'channels the rule applies to; default all value points' })),
  },
  { additionalProperties: false },
);
export type StatusRule = Static<typeof StatusRule>;

export const Profile = Type.Object(
  {
    id: Id('profile id; equals the file name without extension'),
    name: Type.String({ minLength: 1 }),
    manufacturer: Type.Optional(Type.String()),
    model: Type.Optional(Type.String()),
    kind: InstrumentKind,
    description: Type.Optional(Type.String()),
    modbus: Type.Object(
      {
        wordOrder: Type.Optional(Literals(WORD_ORDERS, 'device default; default ABCD')),
        addressBase: Type.Optional(Type.Union([Type.Literal(0), Type.Literal(1)], { description: '1 when the manual numbers registers from 1' })),
      },
      { additionalProperties: false },
    ),
    points: Type.Array(ProfilePoint, { minItems: 1 }),
    statusRules: Type.Optional(Type.Array(StatusRule, { description: 'first matching rule wins' })),
    tolerance: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'default tolerance model inputs (class, e, accuracy class…)' })),
  },
  { additionalProperties: false },
);
export type Profile = Static<typeof Profile>;

const validateShape = compile(Profile, { code: 'E_PROFILE_INVALID' });

/** Validates a parsed profile: schema first, then the rules a schema cannot state. */
export function validateProfile(data: unknown, source: string): Profile {
  if (!validateShape(data)) throw profileError(source, validateShape.issues(data));
  const issues: Issue[] = [];
  const add = (field: string, rule: string, value: unknown, message: string) =>
    issues.push({ code: 'E_PROFILE_INVALID', field, rule, value, message: `${field} ${message}` });
  const names = new Map<string, ProfilePoint>();
  const used = new Map<string, string>();
  data.points.forEach((p, i) => {
    if (names.has(p.name)) add(`points[${i}].name`, 'unique', p.name, `"${p.name}" is used by another point`);
    names.set(p.name, p);
    if (!isUnit(p.unit)) add(`points[${i}].unit`, 'ucum', p.unit, `"${p.unit}" is not a known unit code`);
    if (p.scale === 0) add(`points[${i}].scale`, 'nonzero', 0, 'must not be 0');
    const table = p.table ?? 'holding';
    for (let r = 0; r < registerCount(p.type); r++) {
      const key = `${table}:${p.address + r}`;
      const other = used.get(key);
      if (other) add(`points[${i}].address`, 'overlap', p.address, `overlaps point "${other}" at ${table} register ${p.address + r}`);
      used.set(key, p.name);
    }
  });
  const channels = new Set(data.points.filter((p) => (p.role ?? 'value') !== 'status').map((p) => p.channel ?? p.name));
  data.statusRules?.forEach((rule, i) => {
    if (!names.has(rule.point)) add(`statusRules[${i}].point`, 'exists', rule.point, `names no point of this profile`);
    rule.channels?.forEach((c, j) => {
      if (!channels.has(c)) add(`statusRules[${i}].channels[${j}]`, 'exists', c, 'names no published channel of this profile');
    });
  });
  if (issues.length) throw profileError(source, issues);
  return data;
}

function profileError(source: string, issues: Issue[]): MetronetError {
  const lines = issues.map((i) => `  ${source}: ${i.message}${i.rule ? ` (${i.rule})` : ''}`);
  return new MetronetError('E_PROFILE_INVALID', `invalid device profile ${source}:\n${lines.join('\n')}`, issues);
}

/** The `profiles/` folder of this package, from source (tsx) or from `dist/`. */
export function defaultProfilesDir(): string {
  for (const rel of ['../profiles', '../../profiles']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(dir)) return dir;
  }
  throw new MetronetError('E_PROFILE_UNKNOWN', 'profiles folder not found next to the package');
}

export function loadProfileFile(file: string): Profile {
  let data: unknown;
  try {
    data = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new MetronetError('E_PROFILE_INVALID', `invalid device profile ${file}: ${(err as Error).message}`);
  }
  const profile = validateProfile(data, file);
  const stem = basename(file, extname(file));
  if (profile.id !== stem) {
    throw profileError(file, [{ code: 'E_PROFILE_INVALID', field: 'id', rule: 'filename', value: profile.id, message: `id "${profile.id}" must equal the file name "${stem}"` }]);
  }
  return profile;
}

/** Loads every `*.yaml` profile in the folders given (later folders may add, never replace). */
export function loadProfiles(dirs: string[] = [defaultProfilesDir()]): Map<string, Profile> {
  const out = new Map<string, Profile>();
  for (const dir of dirs) {
    for (const name of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
      const file = join(dir, name);
      const p = loadProfileFile(file);
      if (out.has(p.id)) throw new MetronetError('E_PROFILE_INVALID', `profile "${p.id}" is defined twice (${file})`);
      out.set(p.id, p);
    }
  }
  return out;
}

export function getProfile(profiles: Map<string, Profile>, id: string): Profile {
  const p = profiles.get(id);
  if (!p) throw new MetronetError('E_PROFILE_UNKNOWN', `device profile "${id}" is not known; known: ${[...profiles.keys()].join(', ')}`);
  return p;
}

/** Published channel of a point. */
export const channelOf = (p: ProfilePoint): string => p.channel ?? p.name;

export { READING_STATUSES };
