import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';

/**
 * Limits the embedded broker enforces on the socket, before aedes (mqtt-packet) buffers a
 * packet (issue 16, item 3). mqtt-packet 9 has no size limit: it appends every byte to a list
 * until the remaining length announced in the fixed header has arrived, so a header announcing
 * 256 MB makes it hold 256 MB. The gate below reads the same fixed headers as the bytes pass
 * (MQTT 3.1.1 §2.2, §2.2.3; MQTT 5 §2.1.4) and closes the socket as soon as one announces too
 * much, before the payload is read.
 *
 * Rules, in the order they are checked on each byte:
 * - the remaining length is at most four bytes, the fourth without a continuation bit
 *   (MQTT-2.2.3; "malformed" otherwise);
 * - remaining length + 1 ≤ maxPacketBytes: the rule of Mosquitto's `max_packet_size` (it counts
 *   the type byte and the remaining length, not the length bytes), so both brokers accept and
 *   refuse exactly the same packets;
 * - until the client is signed in: the first packet is CONNECT (MQTT-3.1.0-1), and all bytes
 *   sent so far stay within maxConnectBytes.
 *
 * Worked example (maxPacketBytes 4096): a PUBLISH with fixed header `32 FF 1F` announces
 * remaining length 0x7F + 0x1F·128 = 4095; 4095 + 1 ≤ 4096 passes. `32 80 20` announces 4096:
 * refused after those three bytes.
 */
export interface GateLimits {
  maxPacketBytes: number;
  maxConnectBytes: number;
}

export type GateRefusal = 'packet_size' | 'malformed' | 'not_connect' | 'connect_bytes';

export class PacketScanner {
  /** Bytes of the current packet still to skip (its variable header and payload). */
  private skip = 0;
  /** Reading the remaining length: its value so far, its byte count; -1 when reading a type byte. */
  private length = -1;
  private lengthBytes = 0;
  private multiplier = 1;
  private packets = 0;
  private bytes = 0;
  signedIn = false;

  constructor(private readonly limits: GateLimits) {}

  /** Reads a chunk; returns why the connection must close, or undefined. */
  feed(chunk: Buffer): GateRefusal | undefined {
    this.bytes += chunk.length;
    if (!this.signedIn && this.bytes > this.limits.maxConnectBytes) return 'connect_bytes';
    let i = 0;
    while (i < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i);
        this.skip -= n;
        i += n;
        continue;
      }
      const byte = chunk[i++]!;
      if (this.length < 0) {
        // The packet type is the high nibble; CONNECT is 1.
        if (this.packets === 0 && byte >> 4 !== 1) return 'not_connect';
        this.length = 0;
        this.lengthBytes = 0;
        this.multiplier = 1;
        continue;
      }
      this.length += (byte & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      this.lengthBytes++;
      if (byte & 0x80) {
        if (this.lengthBytes === 4) return 'malformed';
        continue;
      }
      const refusal = this.headerRead(this.length);
      if (refusal) return refusal;
      this.skip = this.length;
      this.length = -1;
      this.packets++;
    }
    return undefined;
  }

  private headerRead(remaining: number): GateRefusal | undefined {
    if (remaining + 1 > this.limits.maxPacketBytes) return 'packet_size';
    if (!this.signedIn && remaining + 1 > this.limits.maxConnectBytes) return 'connect_bytes';
    return undefined;
  }
}

/**
 * The socket as aedes sees it: bytes pass through a PacketScanner on their way in; a refusal
 * destroys the socket (and this stream) before aedes reads another byte of that packet. Writes go
 * straight to the socket. Backpressure: the socket pauses while aedes has not read what it got.
 */
export class GatedSocket extends Duplex {
  readonly scanner: PacketScanner;

  constructor(
    readonly socket: Socket,
    limits: GateLimits,
    private readonly onRefused: (why: GateRefusal) => void,
  ) {
    super({ allowHalfOpen: false });
    this.scanner = new PacketScanner(limits);
    socket.on('data', (chunk: Buffer) => {
      const why = this.scanner.feed(chunk);
      if (why) {
        this.onRefused(why);
        this.destroy();
        return;
      }
      if (!this.push(chunk)) socket.pause();
    });
    socket.once('end', () => this.push(null));
    socket.once('close', () => this.destroy());
    socket.on('error', (err) => this.destroy(err));
    socket.pause();
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    if (this.socket.destroyed) return done();
    this.socket.write(chunk, encoding, done);
  }

  override _final(done: (err?: Error | null) => void): void {
    this.socket.end(done);
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.socket.destroy();
    done(err);
  }
}

/**
 * A token bucket per key: `burst` tokens, refilled at `perSecond`. take() is false when the key
 * has none left (the publish rate of a gateway login, over all its connections).
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {}

  take(key: string): boolean {
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: t };
    b.tokens = Math.min(this.burst, b.tokens + ((t - b.at) / 1000) * this.perSecond);
    b.at = t;
    this.buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}

/**
 * Runs tasks one at a time per key, in arrival order. Sign-ins from one address are checked one
 * after the other: each attempt is counted as it starts and its outcome is known before the next
 * starts, so parallel guesses cannot slip past the count, while parallel legitimate sign-ins (a
 * site's gateways after an outage) only wait their turn (a check is one PBKDF2, a few ms).
 */
export class SerialByKey {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve();
    let release: () => void = () => undefined;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = before.then(() => mine);
    this.tails.set(key, tail);
    await before;
    try {
      return await task();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
