import type { ServerResponse } from 'node:http';

/** One open server-sent-events response. */
export interface EventStream {
  send(event: string, data: unknown): void;
  end(): void;
}

/** A client of the hub: at least its stream; the hub's owner keeps the rest (who it is, what it was sent). */
export interface StreamClient {
  stream: EventStream;
}

const HEARTBEAT_MS = 15_000;

/**
 * The open event streams: opens a response as `text/event-stream`, writes events, keeps each
 * connection alive through proxies with a comment line every 15 s, forgets a client when its
 * connection closes, and ends every stream on close() (open streams would otherwise hold the
 * server open). `onActive`/`onIdle` tell the owner when the first client joins and the last
 * leaves, so that work done for listeners runs only while someone listens.
 *
 * With `ownerOf` and `maxPerOwner` (issue 16: a user's streams, dashboard.maxStreamsPerUser) it
 * counts the streams each owner holds; `admits(owner)` says whether one more may open. A stream
 * frees its place when its connection closes, however it closes (page left, network gone,
 * proxy timeout), and every place is freed by close().
 */
export class StreamHub<C extends StreamClient> {
  private readonly clients = new Map<C, NodeJS.Timeout>();
  private readonly held = new Map<string, number>();
  private closed = false;

  constructor(private readonly o: { onActive: () => void; onIdle: () => void; heartbeatMs?: number; ownerOf?: (c: C) => string; maxPerOwner?: number }) {}

  get size(): number {
    return this.clients.size;
  }

  /** Streams the owner holds open now. */
  private heldBy(owner: string): number {
    return this.held.get(owner) ?? 0;
  }

  /** Whether the owner may open one more stream (always, without maxPerOwner). */
  admits(owner: string): boolean {
    return this.o.maxPerOwner === undefined || this.heldBy(owner) < this.o.maxPerOwner;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  [Symbol.iterator](): IterableIterator<C> {
    return this.clients.keys();
  }

  /** Starts the event stream on a response (the reply is hijacked: fastify no longer writes it). */
  open(res: ServerResponse): EventStream {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 3000\n\n');
    return {
      send: (event, data) => void res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`),
      end: () => void res.end(),
    };
  }

  /** Keeps the client until its connection closes (or the hub does). */
  add(c: C, res: ServerResponse): void {
    if (this.closed) return c.stream.end();
    const beat = setInterval(() => res.write(': keep-alive\n\n'), this.o.heartbeatMs ?? HEARTBEAT_MS);
    this.clients.set(c, beat);
    this.count(c, +1);
    if (this.clients.size === 1) this.o.onActive();
    res.on('close', () => this.remove(c));
  }

  /** Sends to every client the filter lets through. */
  broadcast(event: string, data: unknown, to: (c: C) => boolean = () => true): void {
    for (const c of this.clients.keys()) if (to(c)) c.stream.send(event, data);
  }

  /** Ends every stream and stops every heartbeat; clients arriving later are ended at once. */
  close(): void {
    this.closed = true;
    for (const c of [...this.clients.keys()]) {
      this.remove(c);
      c.stream.end();
    }
  }

  private remove(c: C): void {
    const beat = this.clients.get(c);
    if (beat === undefined) return;
    clearInterval(beat);
    this.clients.delete(c);
    this.count(c, -1);
    if (this.clients.size === 0) this.o.onIdle();
  }

  private count(c: C, by: 1 | -1): void {
    if (!this.o.ownerOf) return;
    const owner = this.o.ownerOf(c);
    const n = this.heldBy(owner) + by;
    if (n > 0) this.held.set(owner, n);
    else this.held.delete(owner);
  }
}
