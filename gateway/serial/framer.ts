import type { SerialFraming } from '../../core/index.js';

/** Bytes kept while waiting for a frame end: an endless stream of garbage cannot grow memory. */
const MAX_PENDING = 4096;

/**
 * Cuts frames out of a serial byte stream. Resynchronisation after garbage or a half frame (a
 * cable plugged in mid-frame) is part of cutting: terminator framing starts over after each
 * terminator, STX/ETX framing discards everything before an STX and restarts at a new STX met
 * before the ETX, fixed-length framing with a start byte discards until that byte. A frame that
 * is cut cleanly but fails its parser or checksum is dropped by the caller and counted there.
 */
export class Framer {
  private pending = Buffer.alloc(0);
  /** Bytes thrown away while resynchronising. */
  discarded = 0;

  constructor(private readonly framing: SerialFraming) {}

  push(chunk: Buffer): Buffer[] {
    this.pending = Buffer.concat([this.pending, chunk]);
    const frames: Buffer[] = [];
    for (;;) {
      const f = this.next();
      if (!f) break;
      frames.push(f);
    }
    if (this.pending.length > MAX_PENDING) {
      this.discarded += this.pending.length - MAX_PENDING;
      this.pending = this.pending.subarray(-MAX_PENDING);
    }
    return frames;
  }

  private take(end: number, from = 0): Buffer {
    const frame = Buffer.from(this.pending.subarray(from, end));
    this.discarded += from;
    this.pending = this.pending.subarray(end);
    return frame;
  }

  private next(): Buffer | undefined {
    const f = this.framing;
    const buf = this.pending;
    if (f.kind === 'terminator') {
      const t = Buffer.from(f.terminator, 'latin1');
      const at = buf.indexOf(t);
      if (at < 0) return undefined;
      const frame = this.take(at);
      this.pending = this.pending.subarray(t.length);
      return frame;
    }
    if (f.kind === 'stx-etx') {
      const stx = f.stx ?? 2;
      const etx = f.etx ?? 3;
      const start = buf.indexOf(stx);
      if (start < 0) {
        this.discarded += buf.length;
        this.pending = Buffer.alloc(0);
        return undefined;
      }
      const end = buf.indexOf(etx, start + 1);
      const restart = buf.indexOf(stx, start + 1);
      if (restart >= 0 && (end < 0 || restart < end)) {
        this.take(restart); // a frame cut short: start again at the newer STX
        return this.next();
      }
      const trailer = f.trailer ?? 0;
      if (end < 0 || end + 1 + trailer > buf.length) return undefined;
      return this.take(end + 1 + trailer, start);
    }
    const start = f.start === undefined ? 0 : buf.indexOf(f.start);
    if (start < 0) {
      this.discarded += buf.length;
      this.pending = Buffer.alloc(0);
      return undefined;
    }
    if (start + f.length > buf.length) return undefined;
    return this.take(start + f.length, start);
  }
}
