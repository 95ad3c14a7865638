import type { AddressInfo } from 'node:net';

/** The dashboard's live events look for changes once a second (dashboard/live/live-events.ts TICK_MS). */
export const EVENTS_TICK_MS = 1000;

/** Opens `GET /api/v1/events` as the given caller and collects the stream's text until stopped. */
export async function listenEvents(app: { server: { address(): unknown } }, auth: { authorization: string }) {
  const { port } = app.server.address() as AddressInfo;
  const ctl = new AbortController();
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/events`, { headers: auth, signal: ctl.signal });
  const reader = res.body!.getReader();
  let text = '';
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      text += new TextDecoder().decode(value);
    }
  })();
  return { text: () => text, stop: () => (ctl.abort(), pump) };
}
