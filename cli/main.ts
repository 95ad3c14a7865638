#!/usr/bin/env node
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import {
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  GatewayConfig,
  MetronetConfig,
  createLogger,
  getProfile,
  isMetronetError,
  loadConfig,
  loadProfiles,
  type Logger,
  VERSION,
} from '../core/index.js';
import { startSimulator } from '../simulators/index.js';
import * as gateway from '../gateway/index.js';
import { startStack } from './stack.js';
import { startAnalyticsOnly, startBrokerOnly, startDashboardOnly, startGatewayOnly, startIngestOnly, type ServiceProcess } from './services.js';
import { runUntilSignal as runService } from './ops.js';
import { seedRegistry, seedStationHistory, startProvinceDevices } from './demo.js';
import { DEMO_PROVINCE } from './province.js';
import { credentialGateways, seedDemoUsers, type DemoLogin } from './access.js';
import { adminCommands } from './admin.js';

/** Keeps the process alive until SIGINT/SIGTERM, then drains and closes the service once, within shutdownTimeoutMs (cli/ops.ts). */
function runUntilSignal(service: ServiceProcess, logger: Logger, o: { shutdownTimeoutMs: number; onClosed?: () => void }): void {
  runService(service, logger, { shutdownTimeoutMs: o.shutdownTimeoutMs, onClosed: o.onClosed, leftover: () => service.leftover?.() });
}

function fail(err: unknown): never {
  // Configuration and profile errors already name file, path and rule: print them plainly.
  process.stderr.write(`metronet: ${isMetronetError(err) ? `${err.message} [${err.code}]` : ((err as Error).stack ?? String(err))}\n`);
  // A refusal written for people in both languages (the password rule, caps): the Vietnamese line too.
  if (isMetronetError(err) && err.messageVi) process.stderr.write(`metronet: ${err.messageVi}\n`);
  process.exit(isMetronetError(err) && err.code === 'E_CONFIG_INVALID' ? 78 : 1);
}

const program = new Command().name('metronet').description('Telemetry, drift monitoring and verification tracking for a measurement network').version(VERSION);

program
  .command('demo', { isDefault: true })
  .description('run everything in one process on a simulated province')
  .option('-c, --config <file>', 'YAML configuration (ports, data folder…)')
  .option('--port <n>', 'dashboard HTTP port', (v) => Number(v))
  .option('--mqtt-port <n>', 'embedded MQTT broker port', (v) => Number(v))
  .option('--data-dir <dir>', 'where the registry and readings are kept')
  .option('--ephemeral', 'keep data in a temporary folder removed on exit')
  .addOption(new Option('--log-level <level>', 'log level').default('warn'))
  .action(async (opts: { config?: string; port?: number; mqttPort?: number; dataDir?: string; ephemeral?: boolean; logLevel: string }) => {
    const tmp = opts.ephemeral ? mkdtempSync(join(tmpdir(), 'metronet-demo-')) : undefined;
    const config = loadConfig(MetronetConfig, {
      file: opts.config,
      env: process.env,
      overrides: { 'dashboard.port': opts.port, 'broker.port': opts.mqttPort, dataDir: tmp ?? opts.dataDir, 'log.level': opts.logLevel },
    });
    const logger = createLogger({ level: config.log.level });
    const profiles = loadProfiles();
    const t0 = Date.now();
    let logins: DemoLogin[] = [];
    const stack = await startStack({
      config,
      profiles,
      logger,
      beforeGateways: async ({ registry, readings }) => {
        seedRegistry(registry, DEMO_PROVINCE, profiles);
        await seedStationHistory(registry, readings, DEMO_PROVINCE, profiles);
        logins = await seedDemoUsers(registry);
        const devices = await startProvinceDevices(DEMO_PROVINCE, profiles);
        await credentialGateways(registry, devices.gateways);
        return devices;
      },
    });
    const instruments = DEMO_PROVINCE.sites.reduce((n, s) => n + s.instruments.length, 0);
    process.stdout.write(
      [
        '',
        `metronet ${VERSION} — demo province running (started in ${((Date.now() - t0) / 1000).toFixed(1)} s)`,
        '',
        `  Dashboard   ${stack.dashboardUrl}`,
        `  API docs    ${stack.dashboardUrl}docs`,
        `  Health      ${stack.dashboardUrl}api/v1/health`,
        `  MQTT        ${stack.brokerUrl}   (every client signs in: see README, Security)`,
        `  Data        ${tmp ? `${tmp} (removed on exit)` : config.dataDir}`,
        '',
        '  Sign in (demo passwords, new at every start):',
        ...logins.map((l) => `    ${l.role.padEnd(10)} ${l.user.padEnd(9)} ${l.password}${l.org ? `   (${l.org})` : ''}`),
        '',
        `  ${instruments} simulated instruments behind ${DEMO_PROVINCE.sites.length} gateways, ${DEMO_PROVINCE.orgs.length} organisations.`,
        '  Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    );
    runUntilSignal(stack, logger, { shutdownTimeoutMs: config.shutdownTimeoutMs, onClosed: () => tmp && rmSync(tmp, { recursive: true, force: true }) });
  });

program
  .command('run')
  .description('run broker, ingest, dashboard and the configured gateways on real devices')
  .requiredOption('-c, --config <file>', 'YAML configuration')
  .action(async (opts: { config: string }) => {
    const config = loadConfig(MetronetConfig, { file: opts.config, env: process.env });
    const logger = createLogger({ level: config.log.level });
    const stack = await startStack({ config, profiles: loadProfiles(), logger });
    logger.info({ dashboard: stack.dashboardUrl, mqtt: stack.brokerUrl }, 'metronet running');
    runUntilSignal(stack, logger, { shutdownTimeoutMs: config.shutdownTimeoutMs });
  });

program
  .command('broker')
  .description('run the embedded MQTT broker alone')
  .option('-c, --config <file>', 'YAML configuration (broker.host, broker.port)')
  .action(async (opts: { config?: string }) => {
    const config = loadConfig(MetronetConfig, { file: opts.config, env: process.env });
    const logger = createLogger({ level: config.log.level });
    const handle = await startBrokerOnly(config, logger);
    logger.info({ url: handle.url, ops: handle.ops?.url }, 'broker running');
    runUntilSignal(handle, logger, { shutdownTimeoutMs: config.shutdownTimeoutMs });
  });

program
  .command('ingest')
  .description('run one ingest worker against the broker in mqtt.url (several share the load with ingest.shareGroup)')
  .option('-c, --config <file>', 'YAML configuration (mqtt, readings, ingest, dataDir)')
  .option('--metrics-port <n>', 'serve /metrics, /health and /ready on 127.0.0.1:<n> (or set ingest.ops)', (v) => Number(v))
  .action(async (opts: { config?: string; metricsPort?: number }) => {
    const config = loadConfig(MetronetConfig, { file: opts.config, env: process.env });
    const logger = createLogger({ level: config.log.level });
    const worker = await startIngestOnly(config, logger, { metricsPort: opts.metricsPort });
    logger.info(
      { mqtt: config.mqtt.url, clientId: config.ingest.clientId, readings: config.readings.kind, metricsPort: worker.metricsPort, ops: worker.ops?.url },
      'ingest running',
    );
    runUntilSignal(worker, logger, { shutdownTimeoutMs: config.shutdownTimeoutMs });
  });

program
  .command('dashboard')
  .description('run the dashboard alone on the stores in the configuration')
  .option('-c, --config <file>', 'YAML configuration (dashboard, readings, dataDir)')
  .action(async (opts: { config?: string }) => {
    const config = loadConfig(MetronetConfig, { file: opts.config, env: process.env });
    const logger = createLogger({ level: config.log.level });
    const web = await startDashboardOnly(config, logger);
    logger.info({ url: web.url }, 'dashboard running');
    runUntilSignal(web, logger, { shutdownTimeoutMs: config.shutdownTimeoutMs });
  });

program
  .command('analytics')
  .description('run analytics alone against the broker in mqtt.url: checks, drift, due dates, alerts (one active instance)')
  .option('-c, --config <file>', 'YAML configuration (mqtt with the service login, analytics, readings, dataDir)')
  .action(async (opts: { config?: string }) => {
    const config = loadConfig(MetronetConfig, { file: opts.config, env: process.env });
    const logger = createLogger({ level: config.log.level });
    const proc = await startAnalyticsOnly(config, logger);
    logger.info({ mqtt: config.mqtt.url, clientId: config.analytics.clientId, ops: proc.ops?.url }, 'analytics running');
    runUntilSignal(proc, logger, { shutdownTimeoutMs: config.shutdownTimeoutMs });
  });

program
  .command('gateway')
  .description('run one edge gateway')
  .requiredOption('-c, --config <file>', 'gateway YAML configuration')
  .option('--state-dir <dir>', 'where the gateway keeps its batch counter and spool', 'data/gateways')
  .option('--dry-run', 'poll each device once, print the request plan and decoded values, publish nothing')
  .action(async (opts: { config: string; stateDir: string; dryRun?: boolean }) => {
    const config = loadConfig(GatewayConfig, { file: opts.config, env: process.env, envPrefix: 'METRONET_GATEWAY_' });
    const logger = createLogger();
    const profiles = loadProfiles();
    for (const d of config.devices) getProfile(profiles, d.profile); // fail fast on an unknown profile
    if (opts.dryRun) {
      const rows = await gateway.dryRun(config, profiles);
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      process.exit(rows.some((r) => r.errors.length > 0) ? 2 : 0);
    }
    const proc = await startGatewayOnly(config, { profiles, stateDir: opts.stateDir, logger });
    logger.info({ gateway: config.id, ops: proc.ops?.url }, 'gateway running');
    runUntilSignal(proc, logger, { shutdownTimeoutMs: config.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS });
  });

program
  .command('simulate')
  .description('serve one simulated device over Modbus TCP')
  .requiredOption('-p, --profile <id>', 'device profile id (see profiles/)')
  .option('--port <n>', 'TCP port', (v) => Number(v), 5020)
  .option('--host <addr>', 'listen address', '127.0.0.1')
  .option('--unit-id <n>', 'Modbus unit id', (v) => Number(v), 1)
  .option('--seed <n>', 'noise seed', (v) => Number(v), 1)
  .option('--drift-per-day <x>', 'linear drift of value channels per day', (v) => Number(v))
  .action(async (opts: { profile: string; port: number; host: string; unitId: number; seed: number; driftPerDay?: number }) => {
    const logger = createLogger();
    const profile = getProfile(loadProfiles(), opts.profile);
    const sim = await startSimulator({
      profile,
      host: opts.host,
      port: opts.port,
      unitId: opts.unitId,
      seed: opts.seed,
      drift: opts.driftPerDay ? { kind: 'linear', perDay: opts.driftPerDay } : undefined,
    });
    process.stdout.write(`simulating ${profile.name} (${profile.id}) on modbus-tcp://${opts.host}:${sim.port} unit ${opts.unitId}\n`);
    runUntilSignal(sim, logger, { shutdownTimeoutMs: 10_000 });
  });

adminCommands(program);

program.parseAsync().catch(fail);
