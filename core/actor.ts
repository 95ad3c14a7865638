import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Who is acting, for the audit trail: set once where a request or message enters (the
 * dashboard's auth hook, the analytics checks handler) and read where records change (the
 * store's audit log), so no store signature has to carry it. Outside any context: `system`.
 */
const context = new AsyncLocalStorage<{ actor: string }>();

export function currentActor(): string {
  return context.getStore()?.actor ?? 'system';
}

export function withActor<T>(actor: string, fn: () => T): T {
  return context.run({ actor }, fn);
}

/** A mutable actor slot for a request whose principal is known only after authentication. */
export function runWithActorSlot<T>(fn: (slot: { actor: string }) => T): T {
  const slot = { actor: 'anonymous' };
  return context.run(slot, () => fn(slot));
}
