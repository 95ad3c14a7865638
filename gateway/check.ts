import { GatewayConfig, MetronetError, compile, getProfile, type Profile } from '../core/index.js';

const validateConfig = compile(GatewayConfig, { code: 'E_CONFIG_INVALID', config: true });

/** Fills defaults and checks the rules the schema cannot state; every fault names its field. */
export function checkGateway(raw: unknown, profiles: Map<string, Profile>): GatewayConfig {
  const config = structuredClone(raw);
  if (!validateConfig(config)) {
    const issues = validateConfig.issues(config);
    throw new MetronetError('E_CONFIG_INVALID', `invalid gateway configuration:\n${issues.map((i) => `  ${i.message} (${i.rule})`).join('\n')}`, issues);
  }
  const fail = (message: string) => {
    throw new MetronetError('E_CONFIG_INVALID', `gateway ${config.id}: ${message}`);
  };
  if (config.mqtt.password !== undefined && config.mqtt.username === undefined) {
    // MQTT 3.1.1 forbids a password without a user name [MQTT-3.1.2-22]; mqtt.js would retry forever, silently.
    fail('mqtt.password is set but mqtt.username is not; MQTT needs both [MQTT-3.1.2-22]');
  }
  if ((config.mqtt.cert === undefined) !== (config.mqtt.key === undefined)) fail('mqtt.cert and mqtt.key go together (TLS client certificate and its key)');
  for (const key of ['name', 'instrument'] as const) {
    const seen = new Map<string, number>();
    config.devices.forEach((d, i) => {
      const first = seen.get(d[key]);
      if (first !== undefined) fail(`devices[${i}].${key} "${d[key]}" is already used by devices[${first}]`);
      seen.set(d[key], i);
    });
  }
  const lines = new Map<string, { i: number; settings: string; units: Set<number> }>();
  config.devices.forEach((d, i) => {
    let profile: Profile;
    try {
      profile = getProfile(profiles, d.profile);
    } catch (err) {
      throw new MetronetError('E_PROFILE_UNKNOWN', `gateway ${config.id}: devices[${i}].profile: ${(err as Error).message}`);
    }
    const t = d.transport;
    const ascii = t.kind === 'serial-ascii';
    if (ascii !== (profile.serial !== undefined)) {
      fail(`devices[${i}].transport.kind ${t.kind} does not fit profile ${profile.id}, which is a ${profile.serial ? 'serial-ascii' : 'Modbus'} profile`);
    }
    if (t.kind === 'modbus-rtu' || t.kind === 'modbus-rtu-tcp' || t.kind === 'serial-ascii') {
      // One physical line, one set of settings; RS-485 slaves need distinct addresses (Modbus over Serial Line V1.02 §2.2).
      const key = t.kind === 'modbus-rtu-tcp' ? `${t.host}:${t.port}` : t.path;
      const settings = JSON.stringify(t.kind === 'modbus-rtu' ? [t.kind, t.baudRate, t.dataBits, t.parity, t.stopBits] : [t.kind]);
      const unit = 'unitId' in t ? t.unitId : -1;
      const line = lines.get(key);
      if (!line) lines.set(key, { i, settings, units: new Set([unit]) });
      else {
        if (ascii || line.settings !== settings)
          fail(
            `devices[${i}].transport: ${key} is also used by devices[${line.i}] with ${ascii ? 'a serial-ascii scale (one port, one scale)' : 'other line settings'}`,
          );
        if (line.units.has(unit)) fail(`devices[${i}].transport.unitId ${unit} is already used on ${key}`);
        line.units.add(unit);
      }
    }
  });
  return config;
}
