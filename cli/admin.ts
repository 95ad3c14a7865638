import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Command, Option } from 'commander';
import { MetronetConfig, MetronetError, loadConfig } from '../core/index.js';
import { MQTT_KINDS, ROLES, openRegistry, type Registry, type Role } from '../store/index.js';
import { mosquittoConf, mosquittoFiles } from '../broker/mosquitto.js';
import { checkRoleOrg } from '../dashboard/routes/identity.js';

/**
 * `metronet admin …`, `metronet audit verify`, `metronet broker export-mosquitto` (issue 6):
 * the identity CRUD of the API on the command line, against the registry in the configured
 * data folder. Secrets are printed once, to stdout, when they are created; never logged.
 */
type Common = { config?: string; dataDir?: string };

function withRegistry(opts: Common, fn: (r: Registry) => Promise<void> | void): Promise<void> {
  const config = loadConfig(MetronetConfig, { file: opts.config, env: process.env, overrides: { dataDir: opts.dataDir } });
  const registry = openRegistry(join(resolve(config.dataDir), 'registry.db'));
  return Promise.resolve()
    .then(() => fn(registry))
    .finally(() => registry.close());
}

const out = (v: unknown): void => void process.stdout.write(`${typeof v === 'string' ? v : JSON.stringify(v, null, 2)}\n`);
const common = (c: Command) => c.option('-c, --config <file>', 'YAML configuration (dataDir)').option('--data-dir <dir>', 'data folder holding registry.db');

export function adminCommands(program: Command): void {
  const admin = program.command('admin').description('organisations, users, tokens, gateways and MQTT logins in the registry');

  const org = admin.command('org').description('organisations');
  common(org.command('add <id>').requiredOption('--name <name>').addOption(new Option('--kind <kind>').choices(['enterprise', 'lab', 'authority']).makeOptionMandatory()).option('--district <d>'))
    .action((id: string, o: Common & { name: string; kind: 'enterprise' | 'lab' | 'authority'; district?: string }) =>
      withRegistry(o, (r) => (r.upsertOrg({ id, name: o.name, kind: o.kind, district: o.district ?? null }), out(r.getOrg(id)))));
  common(org.command('list')).action((o: Common) => withRegistry(o, (r) => out(r.listOrgs())));

  const user = admin.command('user').description('users who sign in to the dashboard and API');
  common(user.command('add <id>').addOption(new Option('--role <role>').choices([...ROLES]).makeOptionMandatory()).option('--org <org>').option('--name <name>').option('--password <pw>', 'default: generated and printed once'))
    .action((id: string, o: Common & { role: Role; org?: string; name?: string; password?: string }) =>
      withRegistry(o, async (r) => {
        if (r.identity.getUser(id)) throw new MetronetError('E_CONFLICT', `user ${id} exists`);
        checkRoleOrg(r, o.role, o.org ?? null);
        const password = o.password ?? randomBytes(12).toString('base64url');
        out(await r.identity.createUser({ id, role: o.role, org: o.org ?? null, name: o.name ?? null, password }));
        if (!o.password) out(`password: ${password}   (shown once)`);
      }));
  common(user.command('list')).option('--org <org>').action((o: Common & { org?: string }) => withRegistry(o, (r) => out(r.identity.listUsers(o.org))));
  common(user.command('passwd <id>').option('--password <pw>', 'default: generated and printed once')).action((id: string, o: Common & { password?: string }) =>
    withRegistry(o, async (r) => {
      if (!r.identity.getUser(id)) throw new MetronetError('E_NOT_FOUND', `user ${id} does not exist`);
      const password = o.password ?? randomBytes(12).toString('base64url');
      await r.identity.setPassword(id, password);
      out(o.password ? 'password changed; sessions and tokens of this user revoked' : `password: ${password}   (shown once; sessions and tokens revoked)`);
    }));
  common(user.command('disable <id>')).action((id: string, o: Common) => withRegistry(o, (r) => out(r.identity.updateUser(id, { disabled: true }) ?? `no user ${id}`)));
  common(user.command('remove <id>')).action((id: string, o: Common) => withRegistry(o, (r) => out(r.identity.deleteUser(id) ? 'removed' : `no user ${id}`)));

  const token = admin.command('token').description('API tokens');
  common(token.command('create <user>').option('--name <name>').option('--days <n>', 'days until it expires', (v) => Number(v), 90)).action((u: string, o: Common & { name?: string; days: number }) =>
    withRegistry(o, (r) => {
      if (!r.identity.getUser(u)) throw new MetronetError('E_NOT_FOUND', `user ${u} does not exist`);
      const { token: t, secret } = r.identity.issueToken({ kind: 'api', user: u, name: o.name ?? null, ttlMs: o.days * 86_400_000 });
      out({ ...t, secret });
      out('(the secret is shown once; only its hash is stored)');
    }));
  common(token.command('list').option('--user <user>')).action((o: Common & { user?: string }) => withRegistry(o, (r) => out(r.identity.listTokens(o.user))));
  common(token.command('revoke <id>')).action((id: string, o: Common) => withRegistry(o, (r) => out(r.identity.revokeToken(id) ? 'revoked' : `no live token ${id}`)));

  const gateway = admin.command('gateway').description('gateways and their MQTT logins');
  common(gateway.command('add <id>').requiredOption('--org <org>').option('--name <name>')).action((id: string, o: Common & { org: string; name?: string }) =>
    withRegistry(o, async (r) => {
      if (r.getGateway(id)) throw new MetronetError('E_CONFLICT', `gateway ${id} exists; use: metronet admin gateway rotate ${id}`);
      if (!r.getOrg(o.org)) throw new MetronetError('E_BAD_REQUEST', `organisation ${o.org} does not exist`);
      r.upsertGateway({ id, org: o.org, name: o.name ?? null });
      const { secret } = await r.identity.setMqttCredential({ username: id, kind: 'gateway', subject: id, org: o.org });
      out({ gateway: id, org: o.org, mqtt: { username: id, password: secret } });
      out('(the password is shown once; put it in the gateway configuration as mqtt.password)');
    }));
  common(gateway.command('rotate <id>')).action((id: string, o: Common) =>
    withRegistry(o, async (r) => {
      const g = r.getGateway(id);
      if (!g) throw new MetronetError('E_NOT_FOUND', `gateway ${id} does not exist`);
      const { secret } = await r.identity.setMqttCredential({ username: id, kind: 'gateway', subject: id, org: g.org });
      out({ gateway: id, mqtt: { username: id, password: secret } });
    }));
  common(gateway.command('list')).action((o: Common) => withRegistry(o, (r) => out(r.listGateways())));

  const mqtt = admin.command('mqtt').description('MQTT logins of labs, organisations and services');
  common(mqtt.command('add <username>').addOption(new Option('--kind <kind>').choices(MQTT_KINDS.filter((k) => k !== 'gateway')).makeOptionMandatory()).requiredOption('--subject <id>', 'lab or organisation id, or service name'))
    .action((username: string, o: Common & { kind: 'lab' | 'org' | 'service'; subject: string }) =>
      withRegistry(o, async (r) => {
        const { secret } = await r.identity.setMqttCredential({ username, kind: o.kind, subject: o.subject });
        out({ username, kind: o.kind, subject: o.subject, password: secret });
      }));
  common(mqtt.command('list')).action((o: Common) => withRegistry(o, (r) => out(r.identity.listMqttCredentials().map(({ hash: _h, ...c }) => c))));
  common(mqtt.command('remove <username>')).action((u: string, o: Common) => withRegistry(o, (r) => out(r.identity.deleteMqttCredential(u) ? 'removed' : `no login ${u}`)));

  const audit = program.command('audit').description('the audit trail');
  common(audit.command('verify').description('check the hash chain; exit 1 naming the first broken entry')).action((o: Common) =>
    withRegistry(o, (r) => {
      const v = r.audit.verify();
      if (v.ok) return out(`audit log intact: ${v.entries} entries, head ${v.head}`);
      process.stderr.write(`audit log BROKEN at entry ${v.brokenAt}: ${v.reason} (${v.entries} entries verified before it)\n`);
      process.exitCode = 1;
    }));

  const broker = program.commands.find((c) => c.name() === 'broker');
  if (!broker) throw new Error('the broker command must be defined before adminCommands');
  common(broker.command('export-mosquitto').description('write Mosquitto password and ACL files from the registry').option('--out <dir>', 'output folder', 'mosquitto').option('--port <n>', 'listener port for the conf fragment', (v) => Number(v), 1883))
    .action((o: Common & { out: string; port: number }) =>
      withRegistry(o, (r) => {
        const dir = resolve(o.out);
        mkdirSync(dir, { recursive: true });
        const files = mosquittoFiles(r);
        writeFileSync(join(dir, 'passwd'), files.passwd, { mode: 0o600 });
        writeFileSync(join(dir, 'acl'), files.acl, { mode: 0o644 });
        writeFileSync(join(dir, 'metronet.conf'), mosquittoConf({ port: o.port, passwordFile: join(dir, 'passwd'), aclFile: join(dir, 'acl') }));
        out(`wrote ${join(dir, 'passwd')}, ${join(dir, 'acl')} and ${join(dir, 'metronet.conf')} (${r.identity.listMqttCredentials().length} logins)`);
      }));
}
