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
interface AttemptLimits {
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

class AttemptLimiter {
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

/** Which key refused a sign-in: the (user, address) pair or the address alone. */
export type AttemptKey = 'user_address' | 'address';

/**
 * The two keys every sign-in is counted under, on the dashboard and the broker alike (issue 16,
 * item 1): (user name, address) and address, each beyond its free budget with a delay doubling
 * from 1 s up to `maxDelayMs`, forgotten after 15 minutes without attempts. There is no key on the
 * user name alone: failures from another address never delay the user, so a stranger cannot lock
 * a victim out; guessing one user's password from many addresses is bounded by the per-address
 * budgets.
 */
export class SignInAttempts {
  private readonly byUserAddress: AttemptLimiter;
  private readonly byAddress: AttemptLimiter;

  constructor(limits: { perUserAddress: number; perAddress: number; maxDelayMs: number }, now: () => number = Date.now) {
    const delay = { baseMs: 1000, maxMs: limits.maxDelayMs, windowMs: 15 * 60_000 };
    this.byUserAddress = new AttemptLimiter({ free: limits.perUserAddress, ...delay }, now);
    this.byAddress = new AttemptLimiter({ free: limits.perAddress, ...delay }, now);
  }

  /**
   * Counts an attempt of `user` from `address` as it starts, or refuses it uncounted: which key
   * refused it and the milliseconds to wait. Both keys are checked before either is counted, so a
   * refusal by one does not use up the other.
   */
  begin(user: string, address: string): { key: AttemptKey; waitMs: number } | undefined {
    const pair = `${address}\n${user}`;
    const waitUser = this.byUserAddress.wait(pair);
    const waitAddress = this.byAddress.wait(address);
    if (waitUser > 0 || waitAddress > 0) return { key: waitUser >= waitAddress ? 'user_address' : 'address', waitMs: Math.max(waitUser, waitAddress) };
    this.byUserAddress.begin(pair);
    this.byAddress.begin(address);
    return undefined;
  }

  /** The password was right: the (user, address) delay is cleared and the address gets its attempt back. */
  succeeded(user: string, address: string): void {
    this.byUserAddress.succeed(`${address}\n${user}`);
    this.byAddress.refund(address);
  }
}
