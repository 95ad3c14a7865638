import { readFileSync } from 'node:fs';
import type { MqttConnection } from './config.js';

/**
 * TLS options of an MQTT client from the certificate paths of its connection (issue 6): the CA
 * that signed the broker certificate, an optional client certificate and key. Read at connect
 * time, once. (A file read, the one exception to "no I/O in core": every service needs it and
 * it has no state.)
 */
export function mqttTls(mqtt: MqttConnection): { ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized?: boolean } {
  return {
    ...(mqtt.ca ? { ca: readFileSync(mqtt.ca) } : {}),
    ...(mqtt.cert ? { cert: readFileSync(mqtt.cert) } : {}),
    ...(mqtt.key ? { key: readFileSync(mqtt.key) } : {}),
    ...(mqtt.rejectUnauthorized !== undefined ? { rejectUnauthorized: mqtt.rejectUnauthorized } : {}),
  };
}
