import ipaddr from 'ipaddr.js';

/**
 * Which network addresses an outgoing request made for a tenant (a webhook) may reach (issue 16,
 * item 2). Pure: no DNS, no sockets; the caller resolves a name and asks about each address.
 *
 * Only global unicast addresses pass. Everything ipaddr.js classifies otherwise is refused:
 * loopback, private (RFC 1918), unique-local (fc00::/7), link-local (169.254/16, fe80::/10, where
 * cloud metadata services live), multicast, broadcast, unspecified (0.0.0.0/8, ::), carrier-grade
 * NAT (100.64/10), reserved and documentation ranges, and IPv6 forms that carry an IPv4 address
 * (IPv4-mapped ::ffff:0:0/96, NAT64 64:ff9b::/96, 6to4, Teredo). An IPv4-mapped address is judged
 * as the IPv4 address it maps, so `::ffff:10.0.0.1` is refused as private and named so. The
 * addresses of the service's own host (its interfaces) are refused too, whatever their range.
 *
 * An operator opens exceptions with allowlist entries: an address (`10.1.2.3`, `::1`), a range
 * (`10.0.0.0/8`, `fd00::/8`), each optionally with a port (`127.0.0.1:5555`, `[::1]:8443`). A range
 * never opens the host's own addresses: that takes an entry naming the address itself.
 */

export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;

/**
 * Why a webhook delivery failed, as its tenant sees it: a class, never the upstream status code,
 * body or error text (those would make webhooks a port and endpoint scanner).
 */
export const DELIVERY_REASONS = ['refused-address', 'dns', 'connect', 'tls', 'timeout', 'http-error', 'redirect', 'invalid-url'] as const;
export type DeliveryReason = (typeof DELIVERY_REASONS)[number];

export interface AllowEntry {
  /** As the operator wrote it, for logs and refusal messages. */
  text: string;
  range: [IpAddress, number];
  /** Only this port when given. */
  port?: number;
  /** A single address (/32 or /128), which may open one of the host's own addresses. */
  single: boolean;
}

export type AddressVerdict = { ok: true; entry?: AllowEntry } | { ok: false; range: string };

/** An address literal as ipaddr.js reads it, IPv4-mapped IPv6 unwrapped; undefined when it is not one. */
export function parseAddress(text: string): IpAddress | undefined {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (!ipaddr.isValid(bare)) return undefined;
  const a = ipaddr.parse(bare);
  return a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress() ? (a as ipaddr.IPv6).toIPv4Address() : a;
}

/**
 * One allowlist entry: `ADDRESS`, `ADDRESS/BITS`, `IPv4:PORT`, `IPv4/BITS:PORT`, `[IPv6]:PORT`,
 * `[IPv6/BITS]:PORT`. Throws a TypeError naming the entry when it is none of these.
 */
export function parseAllowEntry(text: string): AllowEntry {
  const t = text.trim();
  let host = t;
  let port: number | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(t);
  const v4WithPort = /^([0-9.]+(?:\/\d{1,2})?):(\d{1,5})$/.exec(t);
  if (bracketed) {
    host = bracketed[1]!;
    port = bracketed[2] === undefined ? undefined : Number(bracketed[2]);
  } else if (v4WithPort) {
    host = v4WithPort[1]!;
    port = Number(v4WithPort[2]);
  }
  if (port !== undefined && (port < 1 || port > 65535)) throw new TypeError(`allowlist entry "${text}": port must be 1-65535`);
  let range: [IpAddress, number];
  if (host.includes('/')) {
    if (!ipaddr.isValidCIDR(host)) throw new TypeError(`allowlist entry "${text}" is not an address or a CIDR range`);
    const [addr, bits] = ipaddr.parseCIDR(host);
    const mapped = addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96;
    range = mapped ? [(addr as ipaddr.IPv6).toIPv4Address(), bits - 96] : [addr, bits];
  } else {
    const addr = parseAddress(host);
    if (!addr) throw new TypeError(`allowlist entry "${text}" is not an address or a CIDR range`);
    range = [addr, addr.kind() === 'ipv4' ? 32 : 128];
  }
  const single = range[1] === (range[0].kind() === 'ipv4' ? 32 : 128);
  return { text: t, range, ...(port !== undefined ? { port } : {}), single };
}

function matches(entry: AllowEntry, address: IpAddress, port: number): boolean {
  if (entry.port !== undefined && entry.port !== port) return false;
  const [net] = entry.range;
  return net.kind() === address.kind() && address.match(entry.range);
}

/**
 * May a request go to `address`:`port`? `own` are the addresses of the service's host (its
 * interfaces and listening addresses), refused unless an entry names the address itself.
 */
export function checkAddress(address: IpAddress, port: number, o: { allow: readonly AllowEntry[]; own?: readonly IpAddress[] }): AddressVerdict {
  const isOwn = (o.own ?? []).some((x) => x.kind() === address.kind() && x.toNormalizedString() === address.toNormalizedString());
  const entry = o.allow.find((e) => matches(e, address, port) && (!isOwn || e.single));
  if (entry) return { ok: true, entry };
  if (isOwn) return { ok: false, range: 'own-address' };
  // ipaddr.js names a global address "unicast"; parseAddress has unwrapped an IPv4-mapped one.
  const range = address.range();
  return range === 'unicast' ? { ok: true } : { ok: false, range };
}
