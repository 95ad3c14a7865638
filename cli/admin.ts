import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import type { TSchema } from '@sinclair/typebox';
import { type Command, Option } from 'commander';
import { INSTRUMENT_KINDS, MetronetConfig, MetronetError, compile, loadConfig, unknownInstrument, unknownReference } from '../core/index.js';
import { withActor } from '../core/actor.js';
import { Engine } from '../analytics/engine.js';
import { InstrumentIn, ReferenceIn } from '../dashboard/schemas.js';
import { MQTT_KINDS, ROLES, auditFiles, openRegistry, verifyAuditTrail, type Registry, type Role } from '../store/index.js';
import { mosquittoConf, mosquittoFiles } from '../broker/mosquitto.js';
import { loginsWithoutRules } from '../broker/acl.js';
import { checkRoleOrg } from '../dashboard/auth/roles.js';
import { limitsOf } from '../dashboard/limits.js';
import { checkNewPassword } from '../core/password-policy.js';
import { backupCommands } from './backup.js';

/**
 * `metronet admin …`, `metronet audit verify`, `metronet broker export-mosquitto` (issue 6):
 * the identity CRUD of the API on the command line, against the registry in the configured
 * data folder. Secrets are printed once, to stdout, when they are created; never logged.
 */
type Common = { config?: string; dataDir?: string };

function withRegistry(opts: Common, fn: (r: Registry, config: MetronetConfig) => Promise<void> | void): Promise<void> {
  const config = loadConfig(MetronetConfig, { file: opts.config, env: process.env, overrides: { dataDir: opts.dataDir } });
  const dataDir = resolve(config.dataDir);
  const registry = openRegistry(join(dataDir, 'registry.db'), { audit: auditFiles(config.audit, dataDir).key });
  // Changes made here are audited with the operating-system user as the actor.
  return withActor(CLI_ACTOR, () => Promise.resolve().then(() => fn(registry, config))).finally(() => registry.close());
}

/**
 * The registry and one analytics engine over it, built with the configuration's `analytics`
 * section like the analytics service's: changes to analytics state (instruments' services and
 * stated verifications, standards) go through the engine, as the API's do. The alerts it raises
 * (a standard found out of tolerance) are stored; the analytics service delivers what it raises.
 */
function withEngine(opts: Common, fn: (engine: Engine, r: Registry) => Promise<void> | void): Promise<void> {
  return withRegistry(opts, (r, config) => fn(new Engine({ registry: r, config: config.analytics }), r));
}

const CLI_ACTOR = `cli:${safeUser()}`;

function safeUser(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The API's request schema applied to command-line input: the same rules, messages naming the field. */
function checked<T>(schema: TSchema, value: unknown, what: string): T {
  const v = structuredClone(value);
  const valid = compile(schema, { config: true });
  if (!valid(v))
    throw new MetronetError(
      'E_BAD_REQUEST',
      `${what}: ${valid
        .issues(v)
        .map((i) => i.message)
        .join('; ')}`,
    );
  return v as T;
}

/** A date option: epoch milliseconds or an ISO 8601 date/time (YYYY-MM-DD is UTC midnight). */
function when(v: string): number {
  const t = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(t)) throw new MetronetError('E_BAD_REQUEST', `"${v}" is not a date (use YYYY-MM-DD or epoch ms)`);
  return t;
}
const num = (v: string): number => {
  const x = Number(v);
  if (!Number.isFinite(x)) throw new MetronetError('E_BAD_REQUEST', `"${v}" is not a number`);
  return x;
};
/** Drops options not given, so an update keeps the stored value. */
const given = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

const out = (v: unknown): void => void process.stdout.write(`${typeof v === 'string' ? v : JSON.stringify(v, null, 2)}\n`);
const common = (c: Command) => c.option('-c, --config <file>', 'YAML configuration (dataDir)').option('--data-dir <dir>', 'data folder holding registry.db');

export function adminCommands(program: Command): void {
  const admin = program.command('admin').description('organisations, users, tokens, gateways and MQTT logins in the registry');

  const org = admin.command('org').description('organisations');
  common(
    org
      .command('add <id>')
      .requiredOption('--name <name>')
      .addOption(new Option('--kind <kind>').choices(['enterprise', 'lab', 'authority']).makeOptionMandatory())
      .option('--province <code>', 'province code in force since 1 July 2025 (2 digits, e.g. 68 Lâm Đồng)')
      .option('--commune <code>', 'commune, ward or special zone code (5 digits), inside --province')
      .option('--district <d>', 'history only: the district before 1 July 2025'),
  ).action((id: string, o: Common & { name: string; kind: 'enterprise' | 'lab' | 'authority'; province?: string; commune?: string; district?: string }) =>
    withRegistry(
      o,
      (r) => (r.upsertOrg({ id, name: o.name, kind: o.kind, province: o.province, commune: o.commune, district: o.district ?? null }), out(r.getOrg(id))),
    ),
  );
  common(org.command('list')).action((o: Common) => withRegistry(o, (r) => out(r.listOrgs())));

  const user = admin.command('user').description('users who sign in to the dashboard and API');
  common(
    user
      .command('add <id>')
      .addOption(new Option('--role <role>').choices([...ROLES]).makeOptionMandatory())
      .option('--org <org>')
      .option('--name <name>')
      .option('--password <pw>', 'at least 12 characters, not a common password, not containing the user name; default: generated and printed once'),
  ).action((id: string, o: Common & { role: Role; org?: string; name?: string; password?: string }) =>
    withRegistry(o, async (r) => {
      if (r.identity.getUser(id)) throw new MetronetError('E_CONFLICT', `user ${id} exists`);
      checkRoleOrg(r, o.role, o.org ?? null);
      if (o.password !== undefined) checkNewPassword(o.password, { user: id, name: o.name }, '--password');
      const password = o.password ?? randomBytes(12).toString('base64url');
      out(await r.identity.createUser({ id, role: o.role, org: o.org ?? null, name: o.name ?? null, password }));
      if (!o.password) out(`password: ${password}   (shown once)`);
    }),
  );
  common(user.command('list'))
    .option('--org <org>')
    .action((o: Common & { org?: string }) => withRegistry(o, (r) => out(r.identity.listUsers(o.org))));
  common(
    user
      .command('passwd <id>')
      .option('--password <pw>', 'at least 12 characters, not a common password, not containing the user name; default: generated and printed once'),
  ).action((id: string, o: Common & { password?: string }) =>
    withRegistry(o, async (r) => {
      const cur = r.identity.getUser(id);
      if (!cur) throw new MetronetError('E_NOT_FOUND', `user ${id} does not exist`);
      if (o.password !== undefined) checkNewPassword(o.password, { user: id, name: cur.name }, '--password');
      const password = o.password ?? randomBytes(12).toString('base64url');
      await r.identity.setPassword(id, password);
      out(o.password ? 'password changed; sessions and tokens of this user revoked' : `password: ${password}   (shown once; sessions and tokens revoked)`);
    }),
  );
  common(user.command('disable <id>')).action((id: string, o: Common) =>
    withRegistry(o, (r) => out(r.identity.updateUser(id, { disabled: true }) ?? `no user ${id}`)),
  );
  common(user.command('remove <id>')).action((id: string, o: Common) => withRegistry(o, (r) => out(r.identity.deleteUser(id) ? 'removed' : `no user ${id}`)));

  const token = admin.command('token').description('API tokens');
  common(
    token
      .command('create <user>')
      .option('--name <name>')
      .option('--days <n>', 'days until it expires', (v) => Number(v), 90),
  ).action((u: string, o: Common & { name?: string; days: number }) =>
    withRegistry(o, (r, config) => {
      if (!r.identity.getUser(u)) throw new MetronetError('E_NOT_FOUND', `user ${u} does not exist`);
      // The API's cap on active tokens per user (dashboard.maxTokensPerUser) holds here too.
      const max = limitsOf(config.dashboard).tokensPerUser;
      const { token: t, secret } = r.identity.issueToken({ kind: 'api', user: u, name: o.name ?? null, ttlMs: o.days * 86_400_000, max });
      out({ ...t, secret });
      out('(the secret is shown once; only its hash is stored)');
    }),
  );
  common(token.command('list').option('--user <user>')).action((o: Common & { user?: string }) => withRegistry(o, (r) => out(r.identity.listTokens(o.user))));
  common(token.command('revoke <id>')).action((id: string, o: Common) =>
    withRegistry(o, (r) => out(r.identity.revokeToken(id) ? 'revoked' : `no live token ${id}`)),
  );

  const gateway = admin.command('gateway').description('gateways and their MQTT logins');
  common(
    gateway
      .command('add <id>')
      .requiredOption('--org <org>')
      .option('--name <name>')
      .option(
        '--password <pw>',
        'MQTT password to set (a provisioning script; at least 12 characters, not a common password, not containing the user name); default: generated and printed once',
      ),
  ).action((id: string, o: Common & { org: string; name?: string; password?: string }) =>
    withRegistry(o, async (r) => {
      if (r.getGateway(id)) throw new MetronetError('E_CONFLICT', `gateway ${id} exists; use: metronet admin gateway rotate ${id}`);
      if (!r.getOrg(o.org)) throw new MetronetError('E_BAD_REQUEST', `organisation ${o.org} does not exist`);
      if (o.password !== undefined) checkNewPassword(o.password, { user: id }, '--password');
      r.upsertGateway({ id, org: o.org, name: o.name ?? null });
      const { secret } = await r.identity.setMqttCredential({ username: id, kind: 'gateway', subject: id, org: o.org, secret: o.password });
      if (o.password) return out({ gateway: id, org: o.org, mqtt: { username: id } });
      out({ gateway: id, org: o.org, mqtt: { username: id, password: secret } });
      out('(the password is shown once; put it in the gateway configuration as mqtt.password)');
    }),
  );
  common(gateway.command('rotate <id>')).action((id: string, o: Common) =>
    withRegistry(o, async (r) => {
      const g = r.getGateway(id);
      if (!g) throw new MetronetError('E_NOT_FOUND', `gateway ${id} does not exist`);
      const { secret } = await r.identity.setMqttCredential({ username: id, kind: 'gateway', subject: id, org: g.org });
      out({ gateway: id, mqtt: { username: id, password: secret } });
    }),
  );
  common(gateway.command('list')).action((o: Common) => withRegistry(o, (r) => out(r.listGateways())));

  common(org.command('remove <id>').description('delete an organisation that has no instruments, users, gateways or standards left (audited)')).action(
    (id: string, o: Common) => withRegistry(o, (r) => out(r.deleteOrg(id) ? 'removed' : `no organisation ${id}`)),
  );
  common(gateway.command('remove <id>').description('delete a gateway and its MQTT login; its instruments stay (audited)')).action((id: string, o: Common) =>
    withRegistry(o, (r) => out(r.deleteGateway(id) ? 'removed' : `no gateway ${id}`)),
  );

  instrumentCommands(admin);
  referenceCommands(admin);
  backupCommands(admin, common);

  const mqtt = admin.command('mqtt').description('MQTT logins of labs, organisations and services');
  common(
    mqtt
      .command('add <username>')
      .addOption(new Option('--kind <kind>').choices(MQTT_KINDS.filter((k) => k !== 'gateway')).makeOptionMandatory())
      .requiredOption('--subject <id>', 'lab or organisation id, or service name')
      .option(
        '--password <pw>',
        'password to set (a provisioning script: the service gets the same one; at least 12 characters, not a common password, not containing the user name); default: generated and printed once',
      ),
  ).action((username: string, o: Common & { kind: 'lab' | 'org' | 'service'; subject: string; password?: string }) =>
    withRegistry(o, async (r) => {
      if (o.password !== undefined) checkNewPassword(o.password, { user: username }, '--password');
      const { secret } = await r.identity.setMqttCredential({ username, kind: o.kind, subject: o.subject, secret: o.password });
      out({ username, kind: o.kind, subject: o.subject, ...(o.password ? {} : { password: secret }) });
    }),
  );
  common(mqtt.command('list')).action((o: Common) => withRegistry(o, (r) => out(r.identity.listMqttCredentials().map(({ hash: _h, ...c }) => c))));
  common(mqtt.command('remove <username>')).action((u: string, o: Common) =>
    withRegistry(o, (r) => out(r.identity.deleteMqttCredential(u) ? 'removed' : `no login ${u}`)),
  );

  // Exit codes of `audit verify`: 0 intact, 1 broken (edited, deleted, truncated, a forged checkpoint), 3 not verifiable (audit key missing or another).
  const audit = program.command('audit').description('the audit trail');
  common(
    audit
      .command('verify')
      .description('check the keyed hash chain, and against signed checkpoints its newest entries; exit 1 naming what broke, 3 when the audit key is missing')
      .option(
        '--checkpoints <file>',
        'checkpoint file (JSON lines) to check against; default audit.checkpointFile or {dataDir}/audit-checkpoints.jsonl when it exists',
      ),
  ).action((o: Common & { checkpoints?: string }) =>
    withRegistry(o, (r, config) => {
      const file = o.checkpoints ?? auditFiles(config.audit, resolve(config.dataDir)).checkpointFile;
      // The same function as GET /api/v1/audit/verify (one rule in one place).
      const v = verifyAuditTrail(r.audit, file);
      if (!v.checkpointFile && o.checkpoints) throw new MetronetError('E_NOT_FOUND', `no checkpoint file ${file}`);
      if (v.ok) {
        out(`audit log intact: ${v.entries} entries (${v.keyed ?? 0} keyed, ${v.legacy ?? 0} from before keying), head ${v.head}`);
        return out(
          v.checkpointFile
            ? `matches ${v.checkpoints} signed checkpoint(s) in ${file}`
            : `no checkpoint file at ${file}: removal of the newest entries cannot be detected`,
        );
      }
      if (v.keyMissing) {
        process.stderr.write(`audit log NOT VERIFIED: ${v.reason} (no fault found in what could be checked)\n`);
        process.exitCode = 3;
        return;
      }
      process.stderr.write(`audit log BROKEN at entry ${v.brokenAt}: ${v.reason} (${v.entries} entries verified before it)\n`);
      process.exitCode = 1;
    }),
  );

  const broker = program.commands.find((c) => c.name() === 'broker');
  if (!broker) throw new Error('the broker command must be defined before adminCommands');
  common(
    broker
      .command('export-mosquitto')
      .description('write Mosquitto password and ACL files from the registry')
      .option('--out <dir>', 'output folder', 'mosquitto')
      .option('--port <n>', 'listener port for the conf fragment', (v) => Number(v), 1883),
  ).action((o: Common & { out: string; port: number }) =>
    withRegistry(o, (r) => {
      const dir = resolve(o.out);
      mkdirSync(dir, { recursive: true });
      const files = mosquittoFiles(r);
      writeFileSync(join(dir, 'passwd'), files.passwd, { mode: 0o600 });
      writeFileSync(join(dir, 'acl'), files.acl, { mode: 0o644 });
      writeFileSync(join(dir, 'metronet.conf'), mosquittoConf({ port: o.port, passwordFile: join(dir, 'passwd'), aclFile: join(dir, 'acl') }));
      out(`wrote ${join(dir, 'passwd')}, ${join(dir, 'acl')} and ${join(dir, 'metronet.conf')} (${r.identity.listMqttCredentials().length} logins)`);
      for (const l of loginsWithoutRules(r))
        process.stderr.write(
          `warning: MQTT login ${l.username} (${l.kind}: ${l.ids.join(', ')}) breaks the id grammar and gets no topic rule; re-create it under a new id\n`,
        );
    }),
  );
}

type InstrumentOpts = Common & {
  kind?: string;
  name?: string;
  serial?: string;
  site?: string;
  province?: string;
  commune?: string;
  lab?: string;
  intervalDays?: number;
  verifiedOn?: number;
  certificate?: string;
  verifiedBy?: string;
  authorisedBy?: string;
};

/** Options shared by `instrument add` and `instrument update`: the fields of PUT /instruments/{id}. */
function instrumentOptions(c: Command): Command {
  return common(c)
    .addOption(new Option('--kind <kind>').choices([...INSTRUMENT_KINDS]))
    .option('--name <name>')
    .option('--serial <serial>')
    .option('--site <site>')
    .option('--province <code>', 'province code where it stands (2 digits, list in force since 1 July 2025)')
    .option('--commune <code>', 'commune, ward or special zone code where it stands (5 digits)')
    .option('--lab <lab>', 'the lab that verifies or calibrates it')
    .option('--interval-days <n>', 'verification interval override', num)
    .option('--verified-on <date>', 'last verification: date (YYYY-MM-DD)', when)
    .option('--certificate <no>', 'last verification: certificate number')
    .option('--verified-by <lab>', 'last verification: the lab that did it')
    .option('--authorised-by <name>', 'last verification: who signed the certificate');
}

function instrumentBody(o: InstrumentOpts, kind: string | null | undefined): InstrumentIn {
  const v = [o.verifiedOn, o.certificate, o.verifiedBy];
  if (v.some((x) => x !== undefined) && v.some((x) => x === undefined)) {
    throw new MetronetError('E_BAD_REQUEST', 'a last verification needs --verified-on, --certificate and --verified-by together');
  }
  const body = given({
    kind: o.kind ?? kind ?? undefined,
    name: o.name,
    serial: o.serial,
    site: o.site,
    province: o.province,
    commune: o.commune,
    lab: o.lab,
    intervalDays: o.intervalDays,
    lastVerification:
      o.verifiedOn === undefined ? undefined : given({ date: o.verifiedOn, certificate: o.certificate, lab: o.verifiedBy, authorisedBy: o.authorisedBy }),
  });
  return checked<InstrumentIn>(InstrumentIn, body, 'instrument');
}

/** `metronet admin instrument list|add|update|remove`: the same engine operation as the API (Engine.registerInstrument). */
function instrumentCommands(admin: Command): void {
  const inst = admin.command('instrument').description('instruments: register, complete (unregistered ones), change, remove');
  common(
    inst
      .command('list')
      .option('--org <org>')
      .addOption(new Option('--registration <r>').choices(['registered', 'unregistered']))
      .option('-q, --query <text>'),
  ).action((o: Common & { org?: string; registration?: 'registered' | 'unregistered'; query?: string }) =>
    withRegistry(o, (r) => out(r.listInstruments({ org: o.org, registration: o.registration, q: o.query, limit: 10_000 }).items)),
  );
  instrumentOptions(inst.command('add <id>').description('register an instrument of an organisation').requiredOption('--org <org>')).action(
    (id: string, o: InstrumentOpts & { org: string }) =>
      withEngine(o, (engine, r) => {
        if (r.getInstrument(id)) throw new MetronetError('E_CONFLICT', `instrument ${id} exists; use: metronet admin instrument update ${id}`);
        if (!r.getOrg(o.org)) throw new MetronetError('E_BAD_REQUEST', `organisation ${o.org} does not exist`);
        out(engine.registerInstrument(id, o.org, instrumentBody(o, undefined)));
      }),
  );
  instrumentOptions(
    inst.command('update <id>').description('complete an unregistered instrument or change a registered one (absent options keep their value)'),
  ).action((id: string, o: InstrumentOpts) =>
    withEngine(o, (engine, r) => {
      const cur = r.getInstrument(id);
      if (!cur) throw MetronetError.fromIssue(unknownInstrument(id));
      out(engine.registerInstrument(id, cur.org, instrumentBody(o, cur.kind)));
    }),
  );
  common(
    inst
      .command('remove <id>')
      .description(
        'delete an instrument, leaving a tombstone: its readings, checks and calibrations stay as history; registering the id again starts empty (audited)',
      ),
  ).action((id: string, o: Common) => withRegistry(o, (r) => out(r.deleteInstrument(id) ? 'removed' : `no instrument ${id}`)));
  common(
    inst
      .command('reassign <id>')
      .description("hand an instrument id to another enterprise (the authority's decision): it starts again unregistered, with empty history (audited)")
      .requiredOption('--org <org>'),
  ).action((id: string, o: Common & { org: string }) =>
    withRegistry(o, (r) => {
      if (!r.getInstrument(id)) throw MetronetError.fromIssue(unknownInstrument(id));
      if (r.getOrg(o.org)?.kind !== 'enterprise') throw new MetronetError('E_BAD_REQUEST', `organisation ${o.org} is not a registered enterprise`);
      out(r.reassignInstrument(id, o.org));
    }),
  );
}

type StandardOpts = Common & {
  lab?: string;
  quantity?: string;
  unit?: string;
  nominal?: number;
  value?: number;
  u?: number;
  k?: number;
  class?: string;
  certificate?: string;
  calibratedOn?: number;
  due?: number;
  parent?: string;
  outOfTolerance?: boolean;
};

function standardOptions(c: Command): Command {
  return common(c)
    .option('--lab <lab>', 'the lab that keeps it')
    .option('--quantity <q>', 'e.g. mass')
    .option('--unit <unit>', 'e.g. kg')
    .option('--nominal <x>', 'nominal value', num)
    .option('--value <x>', 'conventional value from its certificate', num)
    .option('-U, --u <x>', 'expanded uncertainty', num)
    .option('--k <x>', 'coverage factor (default 2)', num)
    .option('--class <class>', 'e.g. OIML M1')
    .option('--certificate <no>')
    .option('--calibrated-on <date>', 'YYYY-MM-DD', when)
    .option('--due <date>', 'YYYY-MM-DD', when)
    .option('--parent <id>', 'standard it is calibrated against')
    .option('--out-of-tolerance', 'found out of tolerance at its own calibration: runs the impact analysis');
}

function standardBody(o: StandardOpts, cur: Record<string, unknown> = {}) {
  const { id: _i, createdAt: _c, updatedAt: _u, ...kept } = cur;
  const body = {
    ...kept,
    ...given({
      lab: o.lab,
      quantity: o.quantity,
      unit: o.unit,
      nominal: o.nominal,
      value: o.value,
      U: o.u,
      k: o.k,
      class: o.class,
      certificate: o.certificate,
      calibratedOn: o.calibratedOn,
      due: o.due,
      parent: o.parent,
      outOfTolerance: o.outOfTolerance,
    }),
  };
  return checked<Omit<import('../store/index.js').ReferenceStandard, 'id'>>(
    ReferenceIn,
    Object.fromEntries(Object.entries(body).filter(([, v]) => v !== null)),
    'reference',
  );
}

/** `metronet admin reference list|add|update`: what PUT /references does, impact analysis included. */
function referenceCommands(admin: Command): void {
  const ref = admin.command('reference').description('reference standards of labs');
  common(ref.command('list').option('--lab <lab>')).action((o: Common & { lab?: string }) =>
    withRegistry(o, (r) => out(r.analytics.listReferences({ lab: o.lab }))),
  );
  standardOptions(ref.command('add <id>').description('create a reference standard (--lab, --quantity, --unit, --nominal, --value, -U required)')).action(
    (id: string, o: StandardOpts) =>
      withEngine(o, (engine, r) => {
        if (r.analytics.getReference(id)) throw new MetronetError('E_CONFLICT', `reference standard ${id} exists; use: metronet admin reference update ${id}`);
        const body = standardBody(o);
        if (r.getOrg(body.lab)?.kind !== 'lab') throw new MetronetError('E_BAD_REQUEST', `"${body.lab}" is not a lab organisation`);
        out(engine.saveReference({ ...body, id }).saved);
      }),
  );
  standardOptions(ref.command('update <id>').description('change a reference standard (absent options keep their value)')).action(
    (id: string, o: StandardOpts) =>
      withEngine(o, (engine, r) => {
        const before = r.analytics.getReference(id);
        if (!before) throw MetronetError.fromIssue(unknownReference(id));
        const { saved, impact } = engine.saveReference({ ...standardBody(o, before as unknown as Record<string, unknown>), id });
        out(saved);
        if (impact.length > 0) out(`${impact.length} alert(s) raised by the impact analysis`);
      }),
  );
}
