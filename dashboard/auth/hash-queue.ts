/**
 * A bounded queue for password hashing (issue 16). A password check is one scrypt hash with
 * N = 2^17, r = 8 (128 MiB, a few hundred ms of a core); run in parallel, a burst of logins fills
 * libuv's thread pool and every other sign-in waits behind it. At most `concurrency` hashes run at
 * once, at most `maxQueue` wait; beyond that a login is refused at once (`QueueFull`) with an
 * estimate of when to try again, instead of joining a queue that would stall everyone.
 */
export class QueueFull extends Error {
  constructor(readonly retryAfterMs: number) {
    super('password checks are queued to the limit');
  }
}

export class HashQueue {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  /** Running average of one hash, for the Retry-After estimate (starts at a typical 500 ms). */
  private averageMs = 500;

  constructor(
    private readonly concurrency: number,
    private readonly maxQueue: number,
  ) {}

  /** Runs `task` when a slot is free; throws QueueFull at once when the queue is full. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxQueue) throw new QueueFull(this.estimateMs(this.waiting.length + 1));
      // The slot is handed over by the task that finishes (running stays as it is).
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else this.running++;
    const started = performance.now();
    try {
      return await task();
    } finally {
      this.averageMs = 0.8 * this.averageMs + 0.2 * (performance.now() - started);
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  /** How long until `ahead` more hashes have run, at the current pace. */
  private estimateMs(ahead: number): number {
    return Math.ceil((ahead / this.concurrency + 1) * this.averageMs);
  }
}
