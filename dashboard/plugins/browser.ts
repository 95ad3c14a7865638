import type { FastifyInstance, FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import { MetronetError } from '../../core/index.js';

export interface BrowserHardening {
  /** The pages are served over HTTPS (TLS here or at a proxy): HSTS, upgrade-insecure-requests, `__Host-` cookie. */
  https: boolean;
}

/**
 * What a hostile web page can make a signed-in user's browser do (issue 16, item 6), answered
 * for the whole app in one place:
 *
 * - security headers (@fastify/helmet): a Content-Security-Policy that runs no inline script and
 *   no script from another origin, `frame-ancestors 'none'` (and X-Frame-Options DENY for older
 *   browsers), nosniff, `Referrer-Policy: no-referrer`; HSTS only under HTTPS, so the demo on
 *   http://localhost keeps working;
 * - cookies parsed and set by @fastify/cookie (the session cookie: auth/hook.ts, routes/auth.ts);
 * - cross-site request forgery: a state-changing request that a browser sent from another site
 *   is refused with 403 E_CROSS_SITE before it is authenticated, so no cookie ever acts for it;
 * - bodies are JSON only: the text/plain parser fastify ships is removed, so a `text/plain` body
 *   (the one content type besides forms that a page can send cross-site without a preflight)
 *   answers 415 E_UNSUPPORTED_MEDIA_TYPE.
 */
async function browserHardening(fastify: FastifyInstance, opts: BrowserHardening): Promise<void> {
  await fastify.register(cookie);
  await fastify.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        baseUri: ["'self'"],
        scriptSrc: ["'self'"],
        scriptSrcAttr: ["'none'"],
        // No 'unsafe-inline' for styles either: the pages link their style sheets; scripts set
        // styles through the CSSOM (element.style), which a policy does not restrict.
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
        ...(opts.https ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: opts.https ? { maxAge: 31_536_000 } : false,
    // Swagger UI (/docs) and the web UI load nothing cross-origin; keep the defaults for COOP/CORP.
  });

  fastify.removeContentTypeParser('text/plain');

  fastify.addHook('onRequest', async (req) => {
    if (crossSite(req)) {
      req.log.warn({ method: req.method, url: req.url, origin: req.headers.origin, site: req.headers['sec-fetch-site'] }, 'cross-site request refused');
      throw new MetronetError('E_CROSS_SITE', {
        en: 'a change requested from another site was refused; use the dashboard itself, or an API token (Authorization: Bearer) from a program',
        vi: 'Yêu cầu thay đổi gửi từ một trang web khác đã bị từ chối; hãy thao tác trên chính trang quản lý, hoặc dùng mã truy cập API (Authorization: Bearer) từ chương trình.',
      });
    }
  });
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Whether a state-changing request came from a page of another origin, by what the browser says
 * of it. The rule of Go's net/http CrossOriginProtection (Filippo Valsorda, "CSRF", 2025):
 * 1. a bearer token is never sent by a browser on its own: not forgeable, not checked;
 * 2. Sec-Fetch-Site (every current browser) is trusted: `same-origin` or `none` (the user's own
 *    navigation) pass, `same-site` and `cross-site` are refused;
 * 3. without it, an Origin (older browsers) must name this host; `Origin: null` (sandboxed
 *    frames, privacy-sensitive redirects) is refused;
 * 4. neither header: not a browser (curl, scripts) — no ambient cookie to abuse.
 * The host comparison ignores the scheme, so a TLS-terminating proxy that passes Host through
 * needs no configuration.
 */
export function crossSite(req: FastifyRequest): boolean {
  if (SAFE.has(req.method)) return false;
  if (req.headers.authorization !== undefined) return false;
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== '') return site !== 'same-origin' && site !== 'none';
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  if (origin === 'null') return true;
  try {
    return new URL(origin).host !== req.headers.host;
  } catch {
    return true;
  }
}

/** Registered at the root, not encapsulated: its hooks and parsers are the whole app's. */
export default Object.assign(browserHardening, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'metronet-browser-hardening',
});
