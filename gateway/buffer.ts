/**
 * A bounded FIFO of readings waiting to be published. When the broker is unreachable for long,
 * the oldest readings are dropped and counted: memory stays bounded on a small gateway, and the
 * newest data, which the dashboard shows live, survives. (A disk spool is a later issue.)
 */
export class BoundedQueue<T> {
  private items: Array<T | undefined>;
  private head = 0;
  private count = 0;
  /** Items dropped because the queue was full. */
  dropped = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.items = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Appends at the tail, dropping the oldest item when full. */
  push(item: T): void {
    if (this.count === this.capacity) {
      this.items[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.count--;
      this.dropped++;
    }
    this.items[(this.head + this.count) % this.capacity] = item;
    this.count++;
  }

  /** Removes and returns up to n items from the head, oldest first. */
  take(n: number): T[] {
    const out: T[] = [];
    while (out.length < n && this.count > 0) {
      out.push(this.items[this.head] as T);
      this.items[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.count--;
    }
    return out;
  }

  /** Puts items taken but not sent back at the head, in order. If the queue filled meanwhile,
   * the oldest of them are the ones dropped. */
  putBack(items: T[]): void {
    for (let i = items.length - 1; i >= 0; i--) {
      if (this.count === this.capacity) {
        this.dropped += i + 1;
        return;
      }
      this.head = (this.head - 1 + this.capacity) % this.capacity;
      this.items[this.head] = items[i];
      this.count++;
    }
  }
}
