import { describe, expect, it } from 'vitest';
import { checkAddress, parseAddress, parseAllowEntry } from '../../core/net-guard.js';

/**
 * Which addresses a webhook may reach (core/net-guard.ts), on address literals: the check is pure,
 * so the non-public ranges are named here without any request being made to them (the webhook
 * tests in test/security/attacks/webhook-ssrf.test.ts use loopback URLs only).
 */
const verdict = (text: string, port = 80, allow: string[] = [], own: string[] = []) =>
  checkAddress(parseAddress(text)!, port, { allow: allow.map(parseAllowEntry), own: own.map((o) => parseAddress(o)!) });

describe('webhook address check', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['224.0.0.1', 'multicast'],
    ['fd00::1', 'uniqueLocal'],
    ['fe80::1', 'linkLocal'],
    ['::ffff:10.0.0.1', 'private'], // IPv4-mapped: judged as the IPv4 address it carries
  ])('refuses %s (%s)', (address, range) => {
    expect(verdict(address)).toEqual({ ok: false, range });
  });

  it('passes a global unicast address, refuses the host own addresses, and opens exceptions only as the allowlist says', () => {
    expect(verdict('8.8.8.8')).toEqual({ ok: true });
    expect(verdict('8.8.8.8', 80, [], ['8.8.8.8'])).toEqual({ ok: false, range: 'own-address' });
    expect(verdict('10.0.0.1', 5555, ['10.0.0.0/8:5555'])).toMatchObject({ ok: true, entry: { text: '10.0.0.0/8:5555' } });
    expect(verdict('10.0.0.1', 80, ['10.0.0.0/8:5555'])).toEqual({ ok: false, range: 'private' });
    // A range never opens an own address; an entry naming the address does.
    expect(verdict('10.0.0.1', 80, ['10.0.0.0/8'], ['10.0.0.1'])).toEqual({ ok: false, range: 'own-address' });
    expect(verdict('10.0.0.1', 80, ['10.0.0.1'], ['10.0.0.1'])).toMatchObject({ ok: true });
    expect(() => parseAllowEntry('not-an-address')).toThrow(/not an address or a CIDR range/);
  });
});
