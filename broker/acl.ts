import { ROOT, topics } from '../core/index.js';
import type { MqttCredential, Registry } from '../store/index.js';
import type { BrokerAuth, Principal } from './index.js';

/**
 * The MQTT topic rules of ARCHITECTURE.md, as one table of patterns per credential kind. The
 * embedded broker checks against it (registryAuth) and `broker export-mosquitto` writes the
 * same table as a Mosquitto ACL file, so both brokers allow exactly the same.
 *
 * | kind    | publish                          | subscribe                                      |
 * | gateway | metronet/v1/{org}/{gateway}/#    | metronet/v1/{org}/{gateway}/rejects (issue 4)  |
 * | lab     | —                                | metronet/v1/labs/{lab}/#                       |
 * | org     | —                                | metronet/v1/{org}/alerts                       |
 * | service | metronet/v1/#                    | metronet/v1/#                                  |
 *
 * The audit checkpoint topic `metronet/v1/audit/checkpoint` (retained signed heads of the audit
 * chain, store/audit.ts) is published by the analytics service alone: every other login has it
 * in `deny`, which wins over what `publish` and `subscribe` allow (Mosquitto `topic deny`, checked
 * first; it also stops them reading it there). Labs and organisations may read it: a signed head is
 * a public commitment (an entry count and a hash), and every copy kept elsewhere anchors the chain.
 *
 * A subscription filter is allowed when every topic it can match is allowed: `+` in the filter
 * needs `+` or `#` in the pattern, `#` needs `#` — the rule Mosquitto 2 applies to
 * subscriptions (mosquitto_sub_matches_acl). A shared subscription `$share/{group}/{filter}` is
 * judged by its filter [MQTT-4.8.2].
 */
export interface TopicRules {
  publish: string[];
  subscribe: string[];
  /** Neither published nor subscribed exactly, whatever the lists above allow. */
  deny: string[];
}

/** The one login allowed to publish audit checkpoints: the analytics service (`--kind service --subject analytics`). */
const CHECKPOINT_PUBLISHER = 'analytics';

export function rulesFor(p: Principal): TopicRules {
  switch (p.kind) {
    case 'gateway':
      // An organisation `audit` with a gateway `checkpoint` would otherwise publish there.
      return { publish: [`${ROOT}/${p.org}/${p.id}/#`], subscribe: [`${ROOT}/${p.org}/${p.id}/rejects`], deny: [topics.auditCheckpoint] };
    case 'lab':
      return { publish: [], subscribe: [`${ROOT}/labs/${p.id}/#`, topics.auditCheckpoint], deny: [] };
    case 'org':
      return { publish: [], subscribe: [`${ROOT}/${p.id}/alerts`, topics.auditCheckpoint], deny: [] };
    case 'service':
      return { publish: [`${ROOT}/#`], subscribe: [`${ROOT}/#`], deny: p.id === CHECKPOINT_PUBLISHER ? [] : [topics.auditCheckpoint] };
  }
}

export function principalOf(c: MqttCredential): Principal {
  return c.kind === 'gateway' ? { kind: 'gateway', id: c.subject, org: c.org ?? undefined } : { kind: c.kind, id: c.subject };
}

/** A concrete topic (no wildcards) matched by a pattern. */
export function topicMatches(pattern: string, topic: string): boolean {
  if (topic.includes('+') || topic.includes('#')) return false;
  return filterWithin(topic, pattern);
}

/** Every topic `filter` can match is matched by `pattern`. */
export function filterWithin(filter: string, pattern: string): boolean {
  const f = unshare(filter).split('/');
  const p = pattern.split('/');
  for (let i = 0; i < f.length; i++) {
    const pl = p[i];
    if (pl === undefined) return false;
    if (pl === '#') return true;
    const fl = f[i]!;
    if (fl === '#') return false;
    if (pl === '+') continue;
    if (fl === '+' || fl !== pl) return false;
  }
  // metronet/v1/a/# also matches metronet/v1/a itself [MQTT-4.7.1-2].
  return f.length === p.length || (p.length === f.length + 1 && p[f.length] === '#');
}

function unshare(filter: string): string {
  if (!filter.startsWith('$share/')) return filter;
  const rest = filter.slice('$share/'.length);
  const slash = rest.indexOf('/');
  return slash < 0 ? '' : rest.slice(slash + 1);
}

export function canPublish(p: Principal, topic: string): boolean {
  const r = rulesFor(p);
  return !r.deny.some((pat) => topicMatches(pat, topic)) && r.publish.some((pat) => topicMatches(pat, topic));
}

/**
 * A filter wholly inside a denied topic is refused; a wider one (`metronet/v1/#`) is granted, and
 * the embedded broker then delivers what it carries. Mosquitto withholds the denied messages from
 * it: the only denied topic is the checkpoint, which no denied login reads anyway.
 */
export function canSubscribe(p: Principal, filter: string): boolean {
  if (filter.length === 0) return false;
  const r = rulesFor(p);
  return !r.deny.some((pat) => filterWithin(filter, pat)) && r.subscribe.some((pat) => filterWithin(filter, pat));
}

/** The embedded broker's access control on the registry's MQTT credentials. */
export function registryAuth(registry: Registry): BrokerAuth {
  return {
    async authenticate(_clientId, username, password) {
      if (!username || !password) return null;
      const c = await registry.identity.checkMqttSecret(username, password.toString('utf8'));
      return c ? principalOf(c) : null;
    },
    canPublish,
    canSubscribe,
  };
}
