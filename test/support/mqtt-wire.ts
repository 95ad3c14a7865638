import { connect, type Socket } from 'node:net';

/**
 * MQTT 3.1.1 packets written by hand, and a raw TCP connection to send them on: for tests of what
 * a client library would never send (a header announcing 100 MB, a malformed remaining length, a
 * CONNECT a byte at a time). Loopback only.
 */

/** A remaining length as MQTT encodes it: 7 bits a byte, the high bit for "more follows" (MQTT 3.1.1 §2.2.3). */
export function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

/** A UTF-8 string with its two-byte length (MQTT 3.1.1 §1.5.3). */
export const mqttString = (s: string): Buffer => Buffer.concat([Buffer.from([s.length >> 8, s.length & 0xff]), Buffer.from(s)]);

/** A CONNECT of MQTT 3.1.1: clean session, keep-alive 60 s, user name and password when given. */
export function connectPacket(o: { clientId: string; username?: string; password?: string }): Buffer {
  const flags = 0x02 | (o.username ? 0x80 : 0) | (o.password ? 0x40 : 0);
  const body = Buffer.concat([
    mqttString('MQTT'),
    Buffer.from([4, flags, 0, 60]),
    mqttString(o.clientId),
    ...(o.username ? [mqttString(o.username)] : []),
    ...(o.password ? [mqttString(o.password)] : []),
  ]);
  return Buffer.concat([Buffer.from([0x10]), varint(body.length), body]);
}

/** A raw TCP connection to 127.0.0.1:port that records what the broker sends and whether it closed. */
export async function rawMqtt(port: number): Promise<{ s: Socket; state: { closed: boolean; received: Buffer } }> {
  const s = connect({ host: '127.0.0.1', port });
  const state = { closed: false, received: Buffer.alloc(0) };
  s.on('data', (d: Buffer) => (state.received = Buffer.concat([state.received, d])));
  s.on('error', () => undefined);
  s.on('close', () => (state.closed = true));
  await new Promise<void>((r, j) => s.once('connect', r).once('error', j));
  return { s, state };
}
