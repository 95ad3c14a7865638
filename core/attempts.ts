/**
 * Sign-in attempts per key with a progressive delay (issue 16; OWASP Authentication Cheat Sheet,
 * "Login Throttling"). An attempt is counted when it STARTS, before the password is checked, so
 * parallel attempts cannot all slip through while the first ones are still hashing. The first
 * `free` attempts in a window pass; each further one must wait `baseMs · 2^(n − free)` after the
 * previous one (capped at `maxMs`), and is refused until then without being counted: there is no
 * hard lock, only a delay that grows with the attacker's own attempts.
 *
 * Worked example (free 5, base 1 s): attempts 1–5 pass at once; the 6th waits 1 s after the 5th,
 * the 7th 2 s after the 6th, the 8th 4 s … A window of `windowMs` without attempts forgets the key.
 * A success calls `succeed` (forget: the (user, address) key) or `refund` (give the attempt back:
 * the address key, so an office signing in often is not slowed, but an attacker's own account
 * cannot wipe the address's failures).
 */
export interface AttemptLimits {
  /** Attempts that pass without delay in a window. */
  free: number;
  /** Delay before the first attempt beyond `free`; doubles with each further one. */
  baseMs: number;
  /** Longest delay. */
  maxMs: number;
  /** Time without attempts after which a key starts afresh. */
  windowMs: number;
}

interface Entry {
  count: number;
  last: number;
  next: number;
}

export class AttemptLimiter {
  private readonly keys = new Map<string, Entry>();

  constructor(
    private readonly limits: AttemptLimits,
    private readonly now: () => number = Date.now,
    /** Keys kept at most (the oldest go first): memory stays bounded whatever an attacker sends. */
    private readonly maxKeys = 100_000,
  ) {}

  /** Counts an attempt that starts now and returns 0, or refuses it: the milliseconds to wait. */
  begin(key: string): number {
    const t = this.now();
    let e = this.keys.get(key);
    if (e && t - e.last >= Math.max(this.limits.windowMs, e.next - e.last)) e = undefined;
    if (e && t < e.next) return e.next - t;
    e = { count: (e?.count ?? 0) + 1, last: t, next: t };
    if (e.count >= this.limits.free) e.next = t + Math.min(this.limits.maxMs, this.limits.baseMs * 2 ** (e.count - this.limits.free));
    this.keys.delete(key);
    this.keys.set(key, e);
    if (this.keys.size > this.maxKeys) this.keys.delete(this.keys.keys().next().value!);
    return 0;
  }

  /** Milliseconds until `key` may try again (0: now), without counting anything. */
  wait(key: string): number {
    const e = this.keys.get(key);
    return e ? Math.max(0, e.next - this.now()) : 0;
  }

  /** A success: the key starts afresh. */
  succeed(key: string): void {
    this.keys.delete(key);
  }

  /** A success: the attempt it cost is given back (its delay recomputed from the remaining count). */
  refund(key: string): void {
    const e = this.keys.get(key);
    if (!e) return;
    e.count--;
    if (e.count <= 0) this.keys.delete(key);
    else if (e.count < this.limits.free) e.next = e.last;
  }
}
