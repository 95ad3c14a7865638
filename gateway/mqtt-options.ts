import { readFileSync } from 'node:fs';
import type { IClientOptions } from 'mqtt';
import { MetronetError, type MqttConnection } from '../core/index.js';

/** TLS material from files named in the config: the broker's CA, and a client certificate and key. */
export function tlsOptions(mqtt: MqttConnection): Partial<IClientOptions> {
  const read = (field: 'ca' | 'cert' | 'key') => {
    const file = mqtt[field];
    if (file === undefined) return {};
    try {
      return { [field]: readFileSync(file) };
    } catch (err) {
      throw new MetronetError('E_CONFIG_INVALID', `mqtt.${field}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  return { ...read('ca'), ...read('cert'), ...read('key'), ...(mqtt.rejectUnauthorized !== undefined ? { rejectUnauthorized: mqtt.rejectUnauthorized } : {}) };
}

/** The broker URL without a password, for logs. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '[redacted]';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}
