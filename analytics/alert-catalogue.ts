import { calendarDaysUntil, type AlertKind, type AlertSeverity, vnIsoDay } from '../core/index.js';

/**
 * The alert catalogue: every alert kind once, with its severity, the parameters its text takes
 * from the alert's `details`, and its wording in Vietnamese and English. The engine's English
 * `message`, the `code` and `params` carried by the API, MQTT and webhooks, and the web UI's
 * texts (served to the browser as /alert-texts.js, dashboard) all come from here. Adding an
 * alert kind is one entry in this file (docs/analytics.md "Alert catalogue" shows one).
 *
 * A template names its parameters as `{name}` or `{name|format}`:
 *   qty       a number in the alert's unit (params.unit)      num  a number     int  a whole number
 *   date      a date                                          datetime  a date and time
 *   days      calendar days in Vietnam time between today and that date (|n|, core/time.ts calendarDaysUntil)
 *   word      a word of WORDS (`name.value`)
 *   org       an organisation's id: a reader shows the organisation's name (the English message the id)
 *   reason    an English reason from traceability.ts (the web UI translates the known ones)
 * `{ch}` is the channel's quantity (the instrument when the alert has no channel). Numbers are
 * kept raw in params, times as epoch ms: a reader formats them in its own language.
 */
export type Lang = 'vi' | 'en';
export type AlertParam = string | number | null;
export type AlertParams = Record<string, AlertParam>;

type Texts = Record<Lang, string>;
type Details = Record<string, unknown>;

export interface AlertKindEntry {
  severity: AlertSeverity;
  /** A severity that depends on the details (else `severity`). */
  severityOf?(d: Details): AlertSeverity;
  /** What decides it: each check (settled by a calibration), the periodic sweep, a standard's state, a station's data. */
  decidedOn: 'check' | 'time' | 'reference' | 'station';
  title: Texts;
  /** Parameters of the text from the alert's details (and its reference). */
  params(d: Details, a: { reference: string | null }): AlertParams;
  /** A sentence variant (`alert.<kind>.<variant>`) when the wording differs, e.g. up/down. */
  variant?(d: Details): string;
  /** The text, or one per variant. */
  text: Texts | Record<string, Texts>;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/**
 * The document a limit comes from, as a reader cites it: its code ("QCVN 40:2011/BTNMT"),
 * without the notes the configuration keeps beside it for engineers ("column B (placeholder;
 * verify against the official text …)", core/stations.ts). A source that does not start with a
 * document code is kept up to its first parenthesis.
 */
export function sourceDocument(source: string | null): string | null {
  if (source === null) return null;
  const code = /^(?:QCVN|TCVN|ĐLVN|DLVN|ISO|OIML)[\s\S]*?\d[\w.:-]*(?:\/[\wĐđ-]+)?/u.exec(source.trim());
  return (code ? code[0] : source.split('(')[0]!).trim() || null;
}

/** Words a template's `word` parameters take, as `name.value`. */
export const WORDS: Record<string, Texts> = {
  'rule.simple': { vi: 'quy tắc chấp nhận đơn giản', en: 'simple acceptance' },
  'rule.guarded': { vi: 'quy tắc chấp nhận có dải bảo vệ', en: 'guarded acceptance' },
  'series.zero': { vi: 'điểm không', en: 'zero' },
  'series.span': { vi: 'điểm thang đo', en: 'span' },
  'series.both': { vi: 'cả điểm không và điểm thang đo', en: 'zero and span' },
  'period.1h': { vi: '1 giờ', en: '1-hour' },
  'period.8h': { vi: '8 giờ', en: '8-hour' },
  'period.24h': { vi: '24 giờ', en: '24-hour' },
};

export const ALERT_CATALOGUE: Record<AlertKind, AlertKindEntry> = {
  out_of_tolerance: {
    severity: 'critical',
    decidedOn: 'check',
    title: { vi: 'Vượt sai số cho phép', en: 'Out of tolerance' },
    params: (d) => ({ error: num(d.error), mpe: num(d.mpe), ts: num(d.ts), rule: str(d.rule) }),
    text: {
      vi: '{ch}: sai số {error|qty} vượt sai số cho phép lớn nhất (MPE) ±{mpe|qty} theo {rule|word}; lần kiểm tra lúc {ts|datetime}.',
      en: '{ch}: error {error|qty} outside the maximum permissible error (MPE) ±{mpe|qty}, {rule|word}; check at {ts|datetime}.',
    },
  },
  near_limit: {
    severity: 'warning',
    decidedOn: 'check',
    title: { vi: 'Sai số sát giới hạn', en: 'Near limit' },
    params: (d) => ({ error: num(d.error), mpe: num(d.mpe), percent: num(d.percent) }),
    text: {
      vi: '{ch}: sai số {error|qty} đã vượt {percent|int} % sai số cho phép lớn nhất (MPE ±{mpe|qty}); đề nghị theo dõi và bố trí kiểm định lại.',
      en: '{ch}: error {error|qty} above {percent|int} % of the MPE (±{mpe|qty}); watch it and plan a new verification.',
    },
  },
  predicted_out_of_tolerance: {
    severity: 'warning',
    decidedOn: 'check',
    title: { vi: 'Dự báo sắp vượt sai số', en: 'Predicted out of tolerance' },
    params: (d) => ({ predictedTs: num(d.predictedTs), due: num(d.due), recommendedTs: num(d.recommendedTs) }),
    text: {
      vi: '{ch}: theo xu hướng trôi, sai số dự báo vượt MPE từ ngày {predictedTs|date} (theo giới hạn khoảng dự báo 95 %), trước hạn kiểm định {due|date}; đề nghị kiểm định lại trước ngày {recommendedTs|date}.',
      en: '{ch}: from the drift trend, the error is predicted outside the MPE from {predictedTs|date} (95 % prediction bound), before the due date {due|date}; have it verified again by {recommendedTs|date}.',
    },
  },
  shift_detected: {
    severity: 'warning',
    decidedOn: 'check',
    title: { vi: 'Sai số thay đổi đột ngột', en: 'Shift detected' },
    params: (d) => ({ ts: num((d.recentSignal as { ts?: unknown } | null | undefined)?.ts) }),
    variant: (d) => ((d.recentSignal as { direction?: unknown } | null | undefined)?.direction === 'down' ? 'down' : 'up'),
    text: {
      up: {
        vi: '{ch}: biểu đồ CUSUM phát hiện sai số dịch chuyển theo chiều dương từ lần kiểm tra lúc {ts|datetime}.',
        en: '{ch}: the CUSUM chart detected a positive shift of the error at the check of {ts|datetime}.',
      },
      down: {
        vi: '{ch}: biểu đồ CUSUM phát hiện sai số dịch chuyển theo chiều âm từ lần kiểm tra lúc {ts|datetime}.',
        en: '{ch}: the CUSUM chart detected a negative shift of the error at the check of {ts|datetime}.',
      },
    },
  },
  analyser_out_of_control: {
    severity: 'critical',
    decidedOn: 'check',
    title: { vi: 'Máy phân tích mất kiểm soát', en: 'Analyser out of control' },
    params: (d) => ({ series: str(d.series), suspectSince: num(d.suspectSince) }),
    variant: (d) => (d.reason === 'once' ? 'once' : 'consecutive'),
    text: {
      once: {
        vi: '{ch}: thiết bị phân tích mất kiểm soát ở {series|word}: độ trôi vượt 4 lần giới hạn; số liệu đo từ ngày {suspectSince|date} không đảm bảo tin cậy.',
        en: '{ch}: analyser out of control at {series|word}: drift above 4× the limit; data since {suspectSince|date} are suspect.',
      },
      consecutive: {
        vi: '{ch}: thiết bị phân tích mất kiểm soát ở {series|word}: độ trôi vượt 2 lần giới hạn trong 5 lần kiểm tra liên tiếp; số liệu đo từ ngày {suspectSince|date} không đảm bảo tin cậy.',
        en: '{ch}: analyser out of control at {series|word}: drift above 2× the limit on 5 consecutive checks; data since {suspectSince|date} are suspect.',
      },
    },
  },
  due_soon: {
    severity: 'warning',
    decidedOn: 'time',
    title: { vi: 'Sắp đến hạn kiểm định', en: 'Verification due soon' },
    params: (d) => ({ due: num(d.due), leadDays: num(d.leadDays) }),
    text: { vi: 'Sắp đến hạn kiểm định: ngày {due|date} (còn {due|days} ngày).', en: 'Verification due on {due|date} (in {due|days} days).' },
  },
  overdue: {
    severity: 'critical',
    decidedOn: 'time',
    title: { vi: 'Quá hạn kiểm định', en: 'Verification overdue' },
    params: (d) => ({ due: num(d.due) }),
    text: {
      vi: 'Hạn kiểm định đến hết ngày {due|date}, đã quá hạn {due|days} ngày; không được sử dụng cho đến khi kiểm định lại.',
      en: 'Verification valid until the end of {due|date}, overdue by {due|days} days; not to be used until verified again.',
    },
  },
  verification_failed: {
    severity: 'critical',
    decidedOn: 'time',
    title: { vi: 'Kiểm định không đạt', en: 'Verification failed' },
    params: (d) => ({ date: num(d.date), certificate: str(d.certificate), lab: str(d.lab) }),
    text: {
      vi: 'Kiểm định ngày {date|date} không đạt (biên bản {certificate}, {lab|org}); phương tiện đo không được sử dụng cho đến khi kiểm định lại đạt yêu cầu.',
      en: 'Verification of {date|date} failed (record {certificate}, {lab|org}); the instrument may not be used until it passes a verification.',
    },
  },
  seal_broken: {
    severity: 'critical',
    decidedOn: 'time',
    title: { vi: 'Niêm phong bị phá, chưa kiểm định lại', en: 'Seal broken, not re-verified' },
    params: (d) => ({ at: num(d.at), limitDays: num(d.limitDays), reason: str(d.reason) }),
    text: {
      vi: 'Niêm phong, kẹp chì bị phá ngày {at|date} ({reason}) và chưa được kiểm định lại sau {limitDays|int} ngày; phương tiện đo cần được kiểm định lại trước khi sử dụng.',
      en: 'Seal broken on {at|date} ({reason}) and not verified again within {limitDays|int} days; the instrument needs a verification before use.',
    },
  },
  instrument_offline: {
    severity: 'warning',
    decidedOn: 'time',
    title: { vi: 'Mất tín hiệu', en: 'No signal' },
    params: (d) => ({ lastSeen: num(d.lastSeen) }),
    text: { vi: 'Không nhận được số liệu từ {lastSeen|datetime}.', en: 'No reading since {lastSeen|datetime}.' },
  },
  standard_expired: {
    severity: 'critical',
    decidedOn: 'reference',
    title: { vi: 'Chuẩn hết hiệu lực', en: 'Standard expired' },
    params: (d, a) => ({ reference: a.reference, due: num(d.due), certificate: str(d.certificate) }),
    text: {
      vi: 'Chuẩn đo lường {reference} hết hiệu lực từ ngày {due|date} (giấy chứng nhận {certificate}); kết quả kiểm tra dùng chuẩn này không còn bảo đảm liên kết chuẩn.',
      en: 'Reference standard {reference} expired on {due|date} (certificate {certificate}); checks against it are not traceable.',
    },
  },
  not_traceable: {
    severity: 'warning',
    decidedOn: 'check',
    title: { vi: 'Kết quả không bảo đảm liên kết chuẩn', en: 'Not traceable' },
    params: (d, a) => ({ reference: str(d.reference) ?? a.reference, reason: str(d.reason) }),
    text: {
      vi: 'Kết quả kiểm tra với chuẩn {reference} không bảo đảm liên kết chuẩn: {reason|reason}. Kết quả này không được dùng để đánh giá.',
      en: 'Check against {reference} is not traceable: {reason|reason}. It is excluded from decisions.',
    },
  },
  under_review: {
    severity: 'warning',
    decidedOn: 'reference',
    title: { vi: 'Kết quả cần xem xét lại', en: 'Results under review' },
    params: (d, a) => ({
      reference: str(d.reference) ?? a.reference,
      since: num(d.since),
      checks: num(d.checks),
      calibrations: Array.isArray(d.calibrations) ? d.calibrations.length : null,
      reason: str(d.reason),
    }),
    text: {
      vi: '{checks|int} lần kiểm tra và {calibrations|int} giấy chứng nhận kể từ ngày {since|date} đã dùng chuẩn {reference}, cần xem xét lại ({reason|reason}).',
      en: '{checks|int} check(s) and {calibrations|int} certificate(s) since {since|date} relied on {reference} and are under review ({reason|reason}).',
    },
  },
  station_gap: {
    severity: 'warning',
    decidedOn: 'station',
    title: { vi: 'Trạm mất dữ liệu', en: 'Station data gap' },
    params: (d) => ({
      lastTs: num(d.lastTs),
      intervalS: num(d.intervalMs) === null ? null : (d.intervalMs as number) / 1000,
      toleranceS: num(d.toleranceMs) === null ? null : (d.toleranceMs as number) / 1000,
    }),
    text: {
      vi: 'Trạm không truyền số liệu từ {lastTs|datetime} (chu kỳ truyền {intervalS|num} giây, cho phép chậm {toleranceS|num} giây).',
      en: 'No record from the station since {lastTs|datetime} (expected every {intervalS|num} s, tolerance {toleranceS|num} s).',
    },
  },
  limit_exceeded: {
    severity: 'warning',
    decidedOn: 'station',
    // More than twice the limit is critical.
    severityOf: (d) => (num(d.value) !== null && num(d.limit) !== null && (d.value as number) > 2 * (d.limit as number) ? 'critical' : 'warning'),
    title: { vi: 'Vượt quy chuẩn môi trường', en: 'Environmental limit exceeded' },
    params: (d) => ({ value: num(d.value), limit: num(d.limit), unit: str(d.unit), period: str(d.period), source: sourceDocument(str(d.source)) }),
    variant: (d) => {
      const value = num(d.value);
      const limit = num(d.limit);
      return value !== null && limit !== null && value < limit ? 'min' : 'max';
    },
    text: {
      max: {
        vi: '{ch}: giá trị trung bình {period|word} là {value|qty}, vượt giới hạn {limit|qty} ({source}).',
        en: '{ch}: {period|word} average {value|qty}, above the limit {limit|qty} ({source}).',
      },
      min: {
        vi: '{ch}: giá trị trung bình {period|word} là {value|qty}, thấp hơn giới hạn {limit|qty} ({source}).',
        en: '{ch}: {period|word} average {value|qty}, below the limit {limit|qty} ({source}).',
      },
    },
  },
};

/** Alert kinds decided on each check; a calibration settles them. */
export const CHECK_KINDS = (Object.keys(ALERT_CATALOGUE) as AlertKind[]).filter((k) => ALERT_CATALOGUE[k].decidedOn === 'check');

/** What an alert says, for a reader to write in its own language: a stable code and its params. */
export interface AlertText {
  code: string;
  params: AlertParams;
}

/**
 * The code (`alert.<kind>` or `alert.<kind>.<variant>`) and params of an alert, from its kind and
 * details. `unit`: the unit of the alert's channel, when the caller knows it (errors are in it).
 * Every code also has `instrument`, `channel` and `subject`.
 */
export function alertText(
  a: { kind: AlertKind; details?: Details | null; instrument: string | null; channel: string | null; subject: string; reference?: string | null },
  unit: string | null = null,
): AlertText {
  const entry = ALERT_CATALOGUE[a.kind] as AlertKindEntry | undefined;
  const base = { instrument: a.instrument, channel: a.channel, subject: a.subject };
  // A kind from a newer version than this catalogue: the reader shows the kind and the English message.
  if (!entry) return { code: `alert.${a.kind as string}`, params: base };
  const d = a.details ?? {};
  const variant = entry.variant?.(d);
  const params = entry.params(d, { reference: a.reference ?? null });
  return { code: variant ? `alert.${a.kind}.${variant}` : `alert.${a.kind}`, params: { unit, ...base, ...params } };
}

/** The template of a code in a language (undefined for a code this catalogue does not know). */
export function templateOf(code: string, lang: Lang): string | undefined {
  const [, kind, variant] = code.split('.');
  const entry = ALERT_CATALOGUE[kind as AlertKind] as AlertKindEntry | undefined;
  if (!entry) return undefined;
  const text = variant ? (entry.text as Record<string, Texts>)[variant] : (entry.text as Texts);
  return text?.[lang];
}

/** Formats a parameter by its template format; each reader (server, web UI) brings its own. */
export type ParamFormatter = (format: string, name: string, params: AlertParams) => string;

/** Fills a template: `{ch}` and `{name|format}` placeholders. */
export function fillTemplate(template: string, params: AlertParams, ch: string, format: ParamFormatter): string {
  return template.replace(/\{(\w+)(?:\|(\w+))?\}/g, (_, name: string, fmt?: string) => (name === 'ch' ? ch : format(fmt ?? 'text', name, params)));
}

const isoDate = vnIsoDay;

/**
 * The English sentence stored as the alert's `message` (for API users and logs), written when
 * the alert is raised: ISO dates, 4 significant digits, the instrument and channel named.
 */
export function englishMessage(text: AlertText, now: number): string {
  const p = text.params;
  const template = templateOf(text.code, 'en');
  if (!template) return text.code;
  const fmt: ParamFormatter = (format, name, params) => {
    const v = params[name];
    if (v === null || v === undefined) return '—';
    switch (format) {
      case 'qty':
        return typeof v === 'number' ? `${Number(v.toPrecision(4))}${params.unit ? ` ${params.unit}` : ''}` : String(v);
      case 'num':
      case 'int':
        return typeof v === 'number' ? String(format === 'int' ? Math.round(v) : Number(v.toPrecision(4))) : String(v);
      case 'date':
        return typeof v === 'number' ? isoDate(v) : String(v);
      case 'datetime':
        return typeof v === 'number' ? `${new Date(v).toISOString().slice(0, 16).replace('T', ' ')} UTC` : String(v);
      case 'days':
        return typeof v === 'number' ? String(Math.abs(calendarDaysUntil(v, now))) : String(v);
      case 'word':
        return WORDS[`${name}.${v}`]?.en ?? String(v);
      default:
        return String(v);
    }
  };
  const ch = p.channel ? `${p.instrument ?? p.subject} ${p.channel}` : String(p.instrument ?? p.subject);
  const body = fillTemplate(template, p, ch, fmt);
  return template.includes('{ch}') ? body : `${p.subject}: ${body}`;
}

/**
 * The catalogue's texts as the web UI's text keys, per language: `alertkind.<kind>` (titles),
 * `alertmsg.<kind>[.<variant>]` (templates) and the WORDS. Served as /alert-texts.js.
 */
export function webTexts(): Record<Lang, Record<string, string>> {
  const out: Record<Lang, Record<string, string>> = { vi: {}, en: {} };
  for (const lang of ['vi', 'en'] as const) {
    for (const [kind, e] of Object.entries(ALERT_CATALOGUE) as Array<[AlertKind, AlertKindEntry]>) {
      out[lang][`alertkind.${kind}`] = e.title[lang];
      if (e.variant) for (const [v, t] of Object.entries(e.text as Record<string, Texts>)) out[lang][`alertmsg.${kind}.${v}`] = t[lang];
      else out[lang][`alertmsg.${kind}`] = (e.text as Texts)[lang];
    }
    for (const [k, t] of Object.entries(WORDS)) out[lang][k] = t[lang];
  }
  return out;
}
