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
import { SerialSpec } from './serial-profile.js';
import { MetronetError, type Issue } from './errors.js';

/**
 * A device model is data: one file in `profiles/` per model, validated here. The gateway decodes
 * and the simulators serve the same file; neither names a model in code.
 */
export const INSTRUMENT_KINDS = ['scale', 'fuel_dispenser', 'env_station', 'taximeter', 'water_meter', 'checkweigher', 'other'] as const;
export const InstrumentKind = StringEnum(INSTRUMENT_KINDS);
export type InstrumentKind = Static<typeof InstrumentKind>;

const Literals = <T extends readonly string[]>(values: T, description?: string) => StringEnum(values, description ? { description } : {});

/** Modbus tables: holding (FC3), input (FC4), coil (FC1), discrete input (FC2); Modbus Application Protocol V1.1b3 §6.1–6.4. */
export const MODBUS_TABLES = ['holding', 'input', 'coil', 'discrete'] as const;
export const POINT_TYPES = [...NUMERIC_TYPES, 'bool', 'bit', 'string'] as const;
export type PointType = (typeof POINT_TYPES)[number];
export const SERIAL_FIELDS = ['weight', 'tare'] as const;

/** Registers (or bits, in the bit tables) a Modbus point occupies. */
export function pointWidth(p: { type?: PointType; length?: number }): number {
  if (p.type === 'bool' || p.type === 'bit' || p.type === undefined) return 1;
  if (p.type === 'string') return p.length ?? 1;
  return registerCount(p.type);
}

export const SimHint = Type.Object(
  {
    value: Type.Number({ description: 'nominal engineering value' }),
    noise: Type.Optional(Type.Number({ minimum: 0, description: 'standard deviation of the seeded noise' })),
    ratePerSecond: Type.Optional(Type.Number({ description: 'steady increase per second (totalisers)' })),
    min: Type.Optional(Type.Number()),
    max: Type.Optional(Type.Number()),
    dailyAmplitude: Type.Optional(Type.Number({ description: 'amplitude of a daily cycle (ambient parameters)' })),
    text: Type.Optional(Type.String({ description: 'string points: the text served' })),
  },
  { additionalProperties: false },
);

export const ProfilePoint = Type.Object(
  {
    name: Id('point name, unique in the profile; also the default channel'),
    channel: Type.Optional(Id('published channel when it differs from the name')),
    description: Type.Optional(Type.String()),
    table: Type.Optional(Literals(MODBUS_TABLES, 'Modbus table; default holding. coil (FC1) and discrete (FC2) hold bits')),
    address: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535, description: 'Modbus profiles: register or bit address (see addressBase)' })),
    type: Type.Optional(
      Literals(POINT_TYPES, 'Modbus profiles: bool for coils and discrete inputs; bit for one bit of a register; string for ASCII in registers'),
    ),
    bit: Type.Optional(Type.Integer({ minimum: 0, maximum: 15, description: 'type bit: bit number in the register, 0 = least significant' })),
    length: Type.Optional(Type.Integer({ minimum: 1, maximum: 125, description: 'type string: registers, two ASCII characters each' })),
    field: Type.Optional(Literals(SERIAL_FIELDS, 'serial profiles: which field of a parsed frame; default weight')),
    wordOrder: Type.Optional(Literals(WORD_ORDERS, 'overrides the device word order for this point')),
    scale: Type.Optional(Type.Number({ description: 'engineering = raw × scale + offset; default 1' })),
    offset: Type.Optional(Type.Number({ description: 'default 0' })),
    unit: Type.String(),
    role: Type.Optional(
      Literals(
        ['value', 'parameter', 'status', 'info'] as const,
        'value: published each poll; parameter: published when it changes; status: feeds status rules only; info: logged when it changes (strings, e.g. firmware)',
      ),
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

/** What a record field is: a published value, the record's sequence number, part of its time, or a status mapped onto its readings. */
export const RECORD_ROLES = ['value', 'sequence', 'time', 'status'] as const;
/** Time field units: the record's time is the sum of its time fields, in milliseconds since 1970-01-01 UTC. */
export const RECORD_TIME_UNITS = ['s', 'ms'] as const;
/** Simulators only: which quantity of a simulated production line a field carries. */
export const RECORD_SIM_SOURCES = ['mass', 'product', 'lot', 'reject'] as const;

export const RecordField = Type.Object(
  {
    name: Id('field name, unique in the record; also the default channel of a value field'),
    channel: Type.Optional(Id('published channel when it differs from the name')),
    description: Type.Optional(Type.String()),
    at: Type.Integer({ minimum: 0, maximum: 124, description: 'register of the field counted from the start of its record (0 = first)' }),
    type: Literals(NUMERIC_TYPES, 'register encoding'),
    wordOrder: Type.Optional(Literals(WORD_ORDERS, 'overrides the device word order for this field')),
    scale: Type.Optional(Type.Number({ description: 'engineering = raw × scale + offset; default 1' })),
    offset: Type.Optional(Type.Number({ description: 'default 0' })),
    unit: Type.String({ description: 'a unit code for value fields; s or ms for time fields; 1 for sequence and status fields' }),
    role: Type.Optional(
      Literals(RECORD_ROLES, 'value (default): published with the record time; sequence: the record number; time: part of the record time; status'),
    ),
    statuses: Type.Optional(
      Type.Record(Type.String({ pattern: '^-?\\d+$' }), ReadingStatus, {
        description: 'status fields: raw value → status of every reading of the record; others are ok',
      }),
    ),
    sim: Type.Optional(Literals(RECORD_SIM_SOURCES, 'simulators: the line quantity this field carries')),
  },
  { additionalProperties: false },
);
export type RecordField = Static<typeof RecordField>;

const RecordRegister = <T extends readonly ('uint16' | 'uint32')[]>(description: string, types: T) =>
  Type.Object(
    {
      address: Type.Integer({ minimum: 0, maximum: 65535, description: `${description} (see addressBase)` }),
      type: StringEnum(types),
    },
    { additionalProperties: false, description },
  );

/**
 * Event records (docs/gateway.md, "Records"): a device that makes a record per event (a package
 * on a checkweigher) keeps the last `slots` of them in a ring of registers and the sequence
 * number of the latest in `latest`; the gateway reads only the records it has not read yet.
 */
export const RecordsSpec = Type.Object(
  {
    table: Type.Optional(Literals(['holding', 'input'] as const, 'table of the header and the ring; default holding')),
    latest: RecordRegister('register holding the sequence number of the latest record; its width is the counter width (uint16 or uint32)', [
      'uint16',
      'uint32',
    ]),
    head: Type.Optional(
      RecordRegister('register holding the ring slot (0 … slots − 1) of the latest record; without it, record s is in slot s mod slots', ['uint16']),
    ),
    start: Type.Integer({ minimum: 0, maximum: 65535, description: 'address of ring slot 0 (see addressBase)' }),
    slots: Type.Integer({ minimum: 1, maximum: 65535, description: 'records the ring holds' }),
    size: Type.Integer({ minimum: 1, maximum: 125, description: 'registers per record; slot k starts at start + k × size' }),
    fields: Type.Array(RecordField, { minItems: 3 }),
  },
  { additionalProperties: false },
);
export type RecordsSpec = Static<typeof RecordsSpec>;

export const Profile = Type.Object(
  {
    id: Id('profile id; equals the file name without extension'),
    name: Type.String({ minLength: 1 }),
    manufacturer: Type.Optional(Type.String()),
    model: Type.Optional(Type.String()),
    kind: InstrumentKind,
    description: Type.Optional(Type.String()),
    modbus: Type.Optional(
      Type.Object(
        {
          wordOrder: Type.Optional(Literals(WORD_ORDERS, 'device default; default ABCD; 64-bit types use the same swaps over four words')),
          addressBase: Type.Optional(Type.Union([Type.Literal(0), Type.Literal(1)], { description: '1 when the manual numbers registers from 1' })),
          requestPauseMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000, description: 'silence the device needs between requests' })),
          onePerPoint: Type.Optional(Type.Boolean({ description: 'the device refuses block reads: one request per point' })),
        },
        { additionalProperties: false },
      ),
    ),
    serial: Type.Optional(SerialSpec),
    points: Type.Array(ProfilePoint, { minItems: 1 }),
    statusRules: Type.Optional(Type.Array(StatusRule, { description: 'first matching rule wins' })),
    records: Type.Optional(RecordsSpec),
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
  if ((data.modbus === undefined) === (data.serial === undefined))
    add('modbus', 'one-of', undefined, 'or serial: a profile describes exactly one of a Modbus register map or a serial frame format');
  data.points.forEach((p, i) => {
    if (names.has(p.name)) add(`points[${i}].name`, 'unique', p.name, `"${p.name}" is used by another point`);
    names.set(p.name, p);
    if (!isUnit(p.unit)) add(`points[${i}].unit`, 'ucum', p.unit, `"${p.unit}" is not a known unit code`);
    if (p.scale === 0) add(`points[${i}].scale`, 'nonzero', 0, 'must not be 0');
    if (data.modbus) checkModbusPoint(p, `points[${i}]`, add, used);
    else if (p.address !== undefined || p.type !== undefined)
      add(`points[${i}].address`, 'serial', p.address ?? p.type, 'and type are only for Modbus profiles; a serial point names its field');
  });
  const channels = new Set(data.points.filter((p) => (p.role ?? 'value') !== 'status').map((p) => p.channel ?? p.name));
  data.statusRules?.forEach((rule, i) => {
    if (!names.has(rule.point)) add(`statusRules[${i}].point`, 'exists', rule.point, `names no point of this profile`);
    rule.channels?.forEach((c, j) => {
      if (!channels.has(c)) add(`statusRules[${i}].channels[${j}]`, 'exists', c, 'names no published channel of this profile');
    });
  });
  const serial = data.serial;
  if (serial?.mode === 'polled' && serial.command === undefined) add('serial.command', 'required', undefined, 'is required in polled mode');
  if (serial?.parser === 'pattern') {
    if (serial.pattern === undefined) add('serial.pattern', 'required', undefined, 'is required for parser pattern');
    else {
      try {
        if (!new RegExp(serial.pattern).source.includes('?<value>')) add('serial.pattern', 'group', serial.pattern, 'needs a named group (?<value>…)');
      } catch (err) {
        add('serial.pattern', 'regexp', serial.pattern, `is not a regular expression: ${(err as Error).message}`);
      }
    }
  }
  if (data.records) checkRecords(data, add);
  if (issues.length) throw profileError(source, issues);
  return data;
}

/** Registers the 16-bit or 32-bit counter wraps at: 2^16 or 2^32. */
export const counterModulus = (type: 'uint16' | 'uint32'): number => 2 ** (16 * registerCount(type));

/** The rules of a records block the schema cannot state. */
function checkRecords(profile: Profile, add: Add): void {
  const r = profile.records!;
  if (!profile.modbus) return add('records', 'modbus', undefined, 'is only for Modbus profiles');
  const base = profile.modbus.addressBase ?? 0;
  const at = (i: number) => `records.fields[${i}]`;
  const names = new Set<string>();
  const pointChannels = new Set(profile.points.map(channelOf));
  const taken: Array<{ from: number; to: number; name: string }> = [];
  r.fields.forEach((f, i) => {
    const role = f.role ?? 'value';
    if (names.has(f.name)) add(`${at(i)}.name`, 'unique', f.name, `"${f.name}" is used by another field`);
    names.add(f.name);
    const width = registerCount(f.type);
    if (f.at + width > r.size) add(`${at(i)}.at`, 'inside', f.at, `puts the field (${width} registers) past the end of its ${r.size}-register record`);
    const other = taken.find((t) => f.at < t.to && t.from < f.at + width);
    if (other) add(`${at(i)}.at`, 'overlap', f.at, `overlaps field "${other.name}"`);
    taken.push({ from: f.at, to: f.at + width, name: f.name });
    if (f.scale === 0) add(`${at(i)}.scale`, 'nonzero', 0, 'must not be 0');
    if (role === 'time') {
      if (!(RECORD_TIME_UNITS as readonly string[]).includes(f.unit))
        add(`${at(i)}.unit`, 'time-unit', f.unit, `must be s or ms for a time field, got "${f.unit}"`);
    } else if (!isUnit(f.unit)) add(`${at(i)}.unit`, 'ucum', f.unit, `"${f.unit}" is not a known unit code`);
    if (role === 'value' && pointChannels.has(f.channel ?? f.name))
      add(`${at(i)}.channel`, 'unique', f.channel ?? f.name, 'is also the channel of a point: a record channel must be its own');
    if ((role === 'status') !== (f.statuses !== undefined))
      add(`${at(i)}.statuses`, 'role', f.statuses, role === 'status' ? 'is required for a status field' : 'is only for a status field');
  });
  const sequence = r.fields.map((f, i) => ({ f, i })).filter(({ f }) => f.role === 'sequence');
  if (sequence.length !== 1)
    add('records.fields', 'one-sequence', sequence.length, `need exactly one field with role sequence (the record's own number), got ${sequence.length}`);
  for (const { f, i } of sequence) {
    if (f.type !== r.latest.type)
      add(`${at(i)}.type`, 'width', f.type, `must be ${r.latest.type}, the type of records.latest: both count with the same counter`);
    if ((f.scale ?? 1) !== 1 || (f.offset ?? 0) !== 0) add(`${at(i)}.scale`, 'raw', f.scale, 'and offset are not for a sequence field');
  }
  const times = r.fields.filter((f) => f.role === 'time');
  // Packages follow each other within a second (300/min is one each 200 ms) and a reading is
  // identified by (instrument, channel, ts): a time in whole seconds would merge them.
  if (!times.some((f) => f.unit === 'ms'))
    add('records.fields', 'time-ms', times.length, 'need a field with role time and unit ms: records a second apart or less need their own millisecond time');
  if (!r.fields.some((f) => (f.role ?? 'value') === 'value')) add('records.fields', 'value', 0, 'need at least one field with role value');
  const modulus = counterModulus(r.latest.type);
  if (r.head === undefined && modulus % r.slots !== 0)
    add(
      'records.slots',
      'ring-wrap',
      r.slots,
      `must divide ${modulus} (a power of two) when there is no records.head: record s is in slot s mod slots, which jumps when the counter wraps`,
    );
  // Wire addresses of the header and the ring, which must neither overlap nor leave the table.
  const ringFrom = r.start - base;
  const ringTo = ringFrom + r.slots * r.size;
  if (ringFrom < 0) add('records.start', 'base', r.start, `is below the profile's addressBase ${base}`);
  if (ringTo > 65536) add('records.slots', 'range', r.slots, `× size ${r.size} from start ${r.start} runs past register 65535`);
  const registers = [{ key: 'latest', reg: r.latest }, ...(r.head ? [{ key: 'head', reg: r.head }] : [])];
  for (const { key, reg } of registers) {
    const from = reg.address - base;
    const to = from + registerCount(reg.type);
    if (from < 0) add(`records.${key}.address`, 'base', reg.address, `is below the profile's addressBase ${base}`);
    if (from < ringTo && ringFrom < to) add(`records.${key}.address`, 'overlap', reg.address, 'lies inside the ring');
  }
  if (r.head) {
    const lo = Math.min(r.latest.address, r.head.address);
    const hi = Math.max(r.latest.address + registerCount(r.latest.type), r.head.address + 1);
    // One request reads both, so that they describe the same instant.
    if (r.head.address < r.latest.address + registerCount(r.latest.type) && r.latest.address < r.head.address + 1)
      add('records.head.address', 'overlap', r.head.address, 'overlaps records.latest');
    else if (hi - lo > 125) add('records.head.address', 'header', r.head.address, 'must be within 125 registers of records.latest: one request reads both');
  }
  const table = r.table ?? 'holding';
  profile.points.forEach((p, i) => {
    if ((p.table ?? 'holding') !== table || p.address === undefined) return;
    const from = p.address - base;
    const to = from + pointWidth(p);
    if (from < ringTo && ringFrom < to) add(`points[${i}].address`, 'overlap', p.address, 'lies inside the records ring');
    for (const { key, reg } of registers) {
      const rf = reg.address - base;
      if (from < rf + registerCount(reg.type) && rf < to) add(`points[${i}].address`, 'overlap', p.address, `overlaps records.${key}`);
    }
  });
}

type Add = (field: string, rule: string, value: unknown, message: string) => void;

/** The rules of a Modbus point the schema cannot state: what each type needs and where it may live. */
function checkModbusPoint(p: ProfilePoint, at: string, add: Add, used: Map<string, string>): void {
  if (p.address === undefined) return add(`${at}.address`, 'required', undefined, 'is required in a Modbus profile');
  if (p.type === undefined) return add(`${at}.type`, 'required', undefined, 'is required in a Modbus profile');
  const table = p.table ?? 'holding';
  const bitTable = table === 'coil' || table === 'discrete';
  if (bitTable !== (p.type === 'bool'))
    add(`${at}.type`, 'table', p.type, bitTable ? `must be bool in the ${table} table` : `bool is only for the coil and discrete tables, not ${table}`);
  if ((p.type === 'bit') !== (p.bit !== undefined)) add(`${at}.bit`, 'type', p.bit, p.type === 'bit' ? 'is required for type bit' : 'is only for type bit');
  if ((p.type === 'string') !== (p.length !== undefined))
    add(`${at}.length`, 'type', p.length, p.type === 'string' ? 'is required for type string' : 'is only for type string');
  if (p.type === 'string' && p.role !== 'info') add(`${at}.role`, 'string', p.role, 'must be info for a string point (readings carry numbers)');
  for (let r = 0; r < pointWidth(p); r++) {
    // Bit points may share a register, one bit each.
    const key = `${table}:${p.address + r}${p.type === 'bit' ? `:${p.bit}` : ''}`;
    const whole = `${table}:${p.address + r}`;
    const other = used.get(key) ?? (p.type === 'bit' ? used.get(whole) : ([...used].find(([k]) => k.startsWith(`${whole}:`))?.[1] ?? used.get(whole)));
    if (other) add(`${at}.address`, 'overlap', p.address, `overlaps point "${other}" at ${table} register ${p.address + r}`);
    used.set(key, p.name);
  }
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
    throw profileError(file, [
      { code: 'E_PROFILE_INVALID', field: 'id', rule: 'filename', value: profile.id, message: `id "${profile.id}" must equal the file name "${stem}"` },
    ]);
  }
  return profile;
}

/** Loads every `*.yaml` profile in the folders given (later folders may add, never replace). */
export function loadProfiles(dirs: string[] = [defaultProfilesDir()]): Map<string, Profile> {
  const out = new Map<string, Profile>();
  for (const dir of dirs) {
    for (const name of readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort()) {
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
