import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { networkInterfaces } from 'node:os';
import { MetronetError } from '../core/errors.js';
import { withTimeout } from '../core/time.js';
import { DELIVERY_REASONS, checkAddress, parseAddress, parseAllowEntry, type AllowEntry, type DeliveryReason, type IpAddress } from '../core/net-guard.js';

/**
 * Where a webhook may go, and the one way a request gets there (issue 16, item 2):
 *
 * 1. the URL's name is resolved once (all its addresses);
 * 2. every address must pass core/net-guard.ts (public unicast, or allowlisted by the operator);
 * 3. the request connects to the first of them — the `lookup` handed to node:http returns that
 *    pinned address, so a DNS answer that changes between the check and the connection (DNS
 *    rebinding) changes nothing — while the Host header and the TLS server name stay the URL's;
 * 4. redirects are never followed (node:http does not follow; a 3xx is a failure, `redirect`).
 *
 * What a tenant sees of a failure is its reason class (DELIVERY_REASONS); the status code, error
 * text and resolved address are for the operator's log only.
 */

export { DELIVERY_REASONS, type DeliveryReason };

/** dns.lookup with `all: true`, replaceable in tests (a name that resolves to a chosen address). */
export type ResolveAll = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

const systemResolve: ResolveAll = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export interface WebhookPolicy {
  allow: readonly AllowEntry[];
  /** This host's addresses (its interfaces'), read once when the policy is made: a service restart picks up a new one. */
  own: readonly IpAddress[];
  resolve: ResolveAll;
}

/** Longest wait for a DNS answer. */
const DNS_TIMEOUT_MS = 5000;

/** The addresses of this host's interfaces (loopback included). */
function interfaceAddresses(): IpAddress[] {
  const out: IpAddress[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const i of list ?? []) {
      const a = parseAddress(i.address.split('%')[0]!);
      if (a) out.push(a);
    }
  }
  return out;
}

/**
 * The policy of `analytics.webhooks` (core/config.ts). An entry that does not parse is a
 * configuration error naming it.
 */
export function webhookPolicy(cfg: { allow?: readonly string[] } | undefined, o: { resolve?: ResolveAll } = {}): WebhookPolicy {
  const allow = (cfg?.allow ?? []).map((text, i) => {
    try {
      return parseAllowEntry(text);
    } catch (err) {
      throw new MetronetError('E_CONFIG_INVALID', `/analytics/webhooks/allow/${i}: ${(err as Error).message}`, {
        field: `analytics.webhooks.allow[${i}]`,
        value: text,
        rule: 'address',
      });
    }
  });
  return { allow, own: interfaceAddresses(), resolve: o.resolve ?? systemResolve };
}

/** Why a URL is refused before any connection: the reasons resolveTarget gives. */
export type TargetReason = Extract<DeliveryReason, 'invalid-url' | 'dns' | 'refused-address'>;

export type Target = { ok: true; url: URL; host: string; port: number; address: string; family: 4 | 6 } | { ok: false; reason: TargetReason; detail: string };

/** Resolves a webhook URL once and checks every address it resolves to; the first is the one to connect to. */
export async function resolveTarget(raw: string, policy: WebhookPolicy): Promise<Target> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'invalid-url', detail: 'not a URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, reason: 'invalid-url', detail: `scheme ${url.protocol}` };
  // WHATWG URL parsing has already turned 2130706433, 0x7f.1 and 127.1 into 127.0.0.1.
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  let addresses: Array<{ address: string; family: number }>;
  if (isIP(host)) addresses = [{ address: host, family: isIP(host) }];
  else {
    try {
      addresses = await withTimeout(policy.resolve(host), DNS_TIMEOUT_MS);
    } catch (err) {
      return { ok: false, reason: 'dns', detail: `${host}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
    }
    if (addresses.length === 0) return { ok: false, reason: 'dns', detail: `${host}: no address` };
  }
  for (const { address } of addresses) {
    const parsed = parseAddress(address.split('%')[0]!);
    if (!parsed) return { ok: false, reason: 'dns', detail: `${host}: unusable address ${address}` };
    const verdict = checkAddress(parsed, port, policy);
    if (!verdict.ok) return { ok: false, reason: 'refused-address', detail: `${host} resolves to ${address}:${port} (${verdict.range}), not allowlisted` };
  }
  const first = addresses[0]!;
  return { ok: true, url, host, port, address: first.address, family: first.family === 6 ? 6 : 4 };
}

export type PostOutcome = { ok: true; status: number } | { ok: false; reason: DeliveryReason; status: number | null; detail: string };

const TLS_ERROR = /^(ERR_TLS_|ERR_SSL_|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|UNABLE_TO_)/;

/**
 * POSTs `body` to the resolved target, connecting to its pinned address only. Answers within
 * `timeoutMs` (connection, TLS and response headers together); the response body is not read.
 */
export function postPinned(
  t: Extract<Target, { ok: true }>,
  o: { headers: Record<string, string>; body: string; timeoutMs: number; signal?: AbortSignal },
): Promise<PostOutcome> {
  const pinned: LookupFunction = (_hostname, options, callback) => {
    // Node 20 asks for every address (`all`) when it tries both families; either way, only the pinned one.
    if ((options as { all?: boolean }).all)
      (callback as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [{ address: t.address, family: t.family }]);
    else callback(null, t.address, t.family);
  };
  const https = t.url.protocol === 'https:';
  const user = t.url.username ? `${decodeURIComponent(t.url.username)}:${decodeURIComponent(t.url.password)}` : undefined;
  return new Promise<PostOutcome>((resolve) => {
    let timedOut = false;
    // The first outcome wins (a later one, such as an error after the response, changes nothing).
    const done = (r: PostOutcome) => {
      clearTimeout(timer);
      resolve(r);
    };
    const req = (https ? httpsRequest : httpRequest)(
      {
        protocol: t.url.protocol,
        hostname: t.host,
        port: t.port,
        path: `${t.url.pathname}${t.url.search}`,
        method: 'POST',
        headers: { ...o.headers, host: t.url.host, 'content-length': String(Buffer.byteLength(o.body)) },
        lookup: pinned,
        agent: false,
        ...(user ? { auth: user } : {}),
        ...(https && !isIP(t.host) ? { servername: t.host } : {}),
        ...(o.signal ? { signal: o.signal } : {}),
      },
      (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        res.destroy(); // the body is nobody's business: it is never read, stored or shown
        if (status >= 200 && status < 300) return done({ ok: true, status });
        if (status >= 300 && status < 400)
          return done({ ok: false, reason: 'redirect', status, detail: `HTTP ${status} to ${res.headers.location ?? '(no location)'}` });
        return done({ ok: false, reason: 'http-error', status, detail: `HTTP ${status}` });
      },
    );
    const timer = setTimeout(() => {
      timedOut = true;
      req.destroy(new Error(`no answer within ${o.timeoutMs} ms`));
    }, o.timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? '';
      const reason: DeliveryReason = timedOut || err.name === 'AbortError' ? 'timeout' : TLS_ERROR.test(code) ? 'tls' : 'connect';
      done({ ok: false, reason, status: null, detail: `${code || err.name}: ${err.message}` });
    });
    req.end(o.body);
  });
}
