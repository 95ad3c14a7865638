import { TOPIC_WORD, isTopicId, type Logger } from '../core/index.js';
import type { MqttCredential, Registry } from '../store/index.js';
import type { BrokerAuth, Principal } from './index.js';

/**
 * The MQTT topic rules of ARCHITECTURE.md, as one table of patterns per credential kind. The
 * embedded broker checks against it (registryAuth) and `broker export-mosquitto` writes the
 * same table as a Mosquitto ACL file, so both brokers allow exactly the same.
 *
 * | kind    | publish                          | subscribe                                      |
 * | gateway | metronet/v1/{org}/{gateway}/+    | metronet/v1/{org}/{gateway}/rejects (issue 4)  |
 * | lab     | —                                | metronet/v1/labs/{lab}/#                       |
 * | org     | —                                | metronet/v1/{org}/alerts, metronet/v1/{org}/aqi/+ (issue 17) |
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
 *
 * Ids never widen a rule (issue 16). Patterns are arrays of levels, and a level that holds an id
 * matches that exact topic level only, never as a wildcard; wildcards are only where the table
 * puts them. A login whose ids break the id grammar (core/ids.ts: a reserved topic word such as
 * `labs` or `alerts`, `+`, `#`, `/`, a missing organisation; data from before the grammar) gets
 * no rule at all, so it can do less than before, never more. A gateway publishes one level below
 * its own (`…/{gateway}/+`, not `…/{gateway}/#`): `#` also matches its parent level
 * [MQTT-4.7.1-2], which made a gateway named `alerts` its organisation's alert publisher.
 */
export interface TopicRules {
  publish: string[];
  subscribe: string[];
  /** Neither published nor subscribed exactly, whatever the lists above allow. */
  deny: string[];
}

/** One level of a pattern: a fixed topic word, an id (matched literally), or a wildcard the table places. */
type Level = { word: string } | { id: string } | '+' | '#';
type Pattern = readonly Level[];

interface LevelRules {
  publish: Pattern[];
  subscribe: Pattern[];
  deny: Pattern[];
}

/** The one login allowed to publish audit checkpoints: the analytics service (`--kind service --subject analytics`). */
const CHECKPOINT_PUBLISHER = 'analytics';

const w = (word: string): Level => ({ word });
const id = (value: string): Level => ({ id: value });
/** A level as written in a topic: wildcards as they are, words and ids as their text. */
const text = (l: Level): string => (typeof l === 'string' ? l : 'word' in l ? l.word : l.id);
const ROOT: Level[] = [w(TOPIC_WORD.root), w(TOPIC_WORD.version)];
const CHECKPOINT: Pattern = [...ROOT, w(TOPIC_WORD.audit), w(TOPIC_WORD.checkpoint)];
const NOTHING: LevelRules = { publish: [], subscribe: [], deny: [] };

/** Whether every id a login's rules are built from follows the grammar (otherwise it gets no rule). */
function idsFollowGrammar(p: Principal): boolean {
  const ids = p.kind === 'gateway' ? [p.org, p.id] : p.kind === 'service' ? [] : [p.id];
  return ids.every((x) => isTopicId(x));
}

/** The rules of a login as level arrays (what the embedded broker matches). */
function patternsFor(p: Principal): LevelRules {
  if (!idsFollowGrammar(p)) return NOTHING;
  switch (p.kind) {
    case 'gateway': {
      const own = [...ROOT, id(p.org as string), id(p.id)];
      // An organisation `audit` with a gateway `checkpoint` is refused by the grammar; the deny stays as a second wall.
      return { publish: [[...own, '+']], subscribe: [[...own, w(TOPIC_WORD.rejects)]], deny: [CHECKPOINT] };
    }
    case 'lab':
      return { publish: [], subscribe: [[...ROOT, w(TOPIC_WORD.labs), id(p.id), '#'], CHECKPOINT], deny: [] };
    case 'org':
      return { publish: [], subscribe: [[...ROOT, id(p.id), w(TOPIC_WORD.alerts)], [...ROOT, id(p.id), w(TOPIC_WORD.aqi), '+'], CHECKPOINT], deny: [] };
    case 'service':
      return { publish: [[...ROOT, '#']], subscribe: [[...ROOT, '#']], deny: p.id === CHECKPOINT_PUBLISHER ? [] : [CHECKPOINT] };
  }
}

/** Rules of the principals the embedded broker has signed in, built at their first PUBLISH or SUBSCRIBE rather than at every one. */
const rulesOf = new WeakMap<Principal, LevelRules>();
function cachedPatternsFor(p: Principal): LevelRules {
  let r = rulesOf.get(p);
  if (!r) rulesOf.set(p, (r = patternsFor(p)));
  return r;
}

/** A pattern as an MQTT filter (the Mosquitto ACL): ids are written as they are, which the grammar makes safe (no `+`, `#`, `/`, `%`, white space). */
const render = (pattern: Pattern): string => pattern.map(text).join('/');

/** The rules of a login as MQTT filters: the same patterns the embedded broker matches, for the Mosquitto ACL. */
export function rulesFor(p: Principal): TopicRules {
  const r = patternsFor(p);
  return { publish: r.publish.map(render), subscribe: r.subscribe.map(render), deny: r.deny.map(render) };
}

export function principalOf(c: MqttCredential): Principal {
  return c.kind === 'gateway' ? { kind: 'gateway', id: c.subject, org: c.org ?? undefined } : { kind: c.kind, id: c.subject };
}

/** Every topic the filter levels `f` can match is matched by `pattern` (a concrete topic is a filter without wildcards). */
function within(f: readonly string[], pattern: Pattern): boolean {
  for (let i = 0; i < f.length; i++) {
    const pl = pattern[i];
    if (pl === undefined) return false;
    if (pl === '#') return true;
    const fl = f[i] as string;
    if (fl === '#') return false;
    if (pl === '+') continue;
    // An id or a word: exactly this level, and never a filter's wildcard.
    if (fl === '+' || fl !== text(pl)) return false;
  }
  // metronet/v1/a/# also matches metronet/v1/a itself [MQTT-4.7.1-2].
  return f.length === pattern.length || (pattern.length === f.length + 1 && pattern[f.length] === '#');
}

function unshare(filter: string): string {
  if (!filter.startsWith('$share/')) return filter;
  const rest = filter.slice('$share/'.length);
  const slash = rest.indexOf('/');
  return slash < 0 ? '' : rest.slice(slash + 1);
}

export function canPublish(p: Principal, topic: string): boolean {
  // A concrete topic: one with a wildcard matches nothing.
  if (topic.includes('+') || topic.includes('#')) return false;
  const r = cachedPatternsFor(p);
  const levels = unshare(topic).split('/');
  return !r.deny.some((pat) => within(levels, pat)) && r.publish.some((pat) => within(levels, pat));
}

/**
 * A filter wholly inside a denied topic is refused; a wider one (`metronet/v1/#`) is granted, and
 * the embedded broker then delivers what it carries. Mosquitto withholds the denied messages from
 * it: the only denied topic is the checkpoint, which no denied login reads anyway.
 */
export function canSubscribe(p: Principal, filter: string): boolean {
  if (filter.length === 0) return false;
  const r = cachedPatternsFor(p);
  const levels = unshare(filter).split('/');
  return !r.deny.some((pat) => within(levels, pat)) && r.subscribe.some((pat) => within(levels, pat));
}

/** The MQTT logins whose ids break the id grammar (stored before it): they get no topic rule. */
export function loginsWithoutRules(registry: Registry): Array<{ username: string; kind: MqttCredential['kind']; ids: string[] }> {
  return registry.identity
    .listMqttCredentials()
    .filter((c) => !idsFollowGrammar(principalOf(c)))
    .map((c) => ({ username: c.username, kind: c.kind, ids: [c.org, c.subject].filter((x): x is string => typeof x === 'string') }));
}

/**
 * The embedded broker's access control on the registry's MQTT credentials. With a logger, the
 * logins that get no rule because their ids break the id grammar are named in one warning at start.
 */
export function registryAuth(registry: Registry, log?: Logger): BrokerAuth {
  if (log) {
    const broken = loginsWithoutRules(registry);
    if (broken.length > 0)
      log.warn(
        { logins: broken.slice(0, 50), count: broken.length },
        'MQTT logins whose ids break the id grammar (a reserved topic word or a character not allowed) get no topic rule; re-create them under new ids (docs/security.md, "Ids and topics")',
      );
  }
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
