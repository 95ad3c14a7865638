import { CHECK_STAGE, effectiveTolerance, mpeFor } from '../../analytics/tolerance.js';
import type { Registry } from '../../store/types.js';
import type { Principal } from '../auth/tenant.js';
import { instrumentStates, type InstrumentStateRow, type OfflineRule } from '../states.js';
import { DAY, nameLocation, vnDate } from '../../core/index.js';
import { compareLocality, type Locality, localityKey, localityResolver, withinLocality } from '../locality.js';
import { datedIn, validRecords, vnYearRange } from './year.js';

/**
 * The reports of issue 7 as plain tables, built from the same tenant-scoped instrument states
 * the overview shows; files.ts writes them as CSV or XLSX. A row is a plain object keyed by its
 * columns' keys; every row that has a place carries it as codes and names (`province`,
 * `provinceName`, `commune`, `communeName`, issue 17 item 1), so a renderer may print either.
 */
export type Cell = string | number | boolean | null;
export interface Column {
  key: string;
  vi: string;
  en: string;
}
export type Row = Record<string, Cell>;
export interface Table {
  name: string;
  columns: Column[];
  rows: Row[];
}

/** A table's rows as cells in column order (what CSV and XLSX writers lay out). */
export const cellsOf = (t: Table): Cell[][] => t.rows.map((r) => t.columns.map((c) => r[c.key] ?? null));

export const REPORTS = ['inventory', 'assurance', 'annual', 'results'] as const;
export type ReportName = (typeof REPORTS)[number];

const col = (key: string, vi: string, en: string): Column => ({ key, vi, en });
const isoDate = (ts: number | null) => (ts === null ? null : vnDate(ts)); // dates as in Vietnam (UTC+7)
const pct = (n: number, d: number) => (d === 0 ? null : Math.round((n / d) * 1000) / 10);

/** Which level the annual report adds up by (issue 17, item 1: no districts since 1 July 2025). */
export const GROUP_BY = ['commune', 'province'] as const;
export type GroupBy = (typeof GROUP_BY)[number];

interface Ctx {
  registry: Registry;
  p: Principal;
  now: number;
  year: number;
  offline?: OfflineRule;
  /** Only instruments of this province / commune (codes checked by the caller, core/admin-units.ts). */
  province?: string;
  commune?: string;
  /** Level of the annual report's groups; default commune. */
  groupBy?: GroupBy;
}

/** An instrument's state with the place it counts in. */
type Placed = InstrumentStateRow & { at: Locality };

export function buildReport(name: ReportName, ctx: Ctx): Table {
  const at = localityResolver(ctx.registry);
  const states: Placed[] = instrumentStates(ctx.registry, ctx.p, ctx.now, ctx.offline)
    .map((s) => ({ ...s, at: at(s.id, s.org) }))
    .filter((s) => withinLocality(s.at, ctx));
  if (name === 'inventory') return inventory(ctx, states);
  if (name === 'assurance') return assurance(ctx, states);
  if (name === 'results') return results(ctx, states);
  return annual(ctx, states);
}

/** The four place columns of every report that has a place: official codes and names. */
const PLACE_COLUMNS: Column[] = [
  col('province', 'Mã tỉnh', 'Province code'),
  col('provinceName', 'Tỉnh, thành phố', 'Province'),
  col('commune', 'Mã xã', 'Commune code'),
  col('communeName', 'Xã, phường, đặc khu', 'Commune, ward or special zone'),
];
const place = (l: Locality): Row => ({ province: l.province, provinceName: l.provinceName, commune: l.commune, communeName: l.communeName });

/** Instrument inventory and state, by province, commune and organisation. */
function inventory({ registry }: Ctx, states: Placed[]): Table {
  const orgs = new Map(registry.listOrgs().map((o) => [o.id, o]));
  const rows = states
    .sort((a, b) => compareLocality(a.at, b.at) || a.org.localeCompare(b.org) || a.id.localeCompare(b.id))
    .map((s): Row => {
      const i = registry.getInstrument(s.id)!;
      const o = orgs.get(s.org);
      return {
        ...place(s.at),
        districtBefore2025: o?.district ?? null,
        org: s.org,
        orgName: o?.name ?? null,
        instrument: s.id,
        name: i.name ?? null,
        kind: s.kind,
        serial: i.serial ?? null,
        site: s.site,
        registration: i.registration,
        lab: s.lab,
        state: s.state,
        online: s.online,
        lastVerification: isoDate(s.lastCalibration),
        nextDue: isoDate(s.nextDue),
      };
    });
  return {
    name: 'inventory',
    columns: [
      ...PLACE_COLUMNS,
      col('districtBefore2025', 'Quận, huyện (trước 01/07/2025)', 'District (before 1 July 2025)'),
      col('org', 'Mã tổ chức', 'Organisation id'),
      col('orgName', 'Tổ chức', 'Organisation'),
      col('instrument', 'Mã phương tiện đo', 'Instrument id'),
      col('name', 'Tên', 'Name'),
      col('kind', 'Loại', 'Kind'),
      col('serial', 'Số sản xuất', 'Serial'),
      col('site', 'Địa điểm', 'Site'),
      col('registration', 'Đăng ký', 'Registration'),
      col('lab', 'Tổ chức kiểm định', 'Lab'),
      col('state', 'Trạng thái', 'State'),
      col('online', 'Đang gửi dữ liệu', 'Online'),
      col('lastVerification', 'Kiểm định/hiệu chuẩn gần nhất', 'Last verification'),
      col('nextDue', 'Hạn kiểm định', 'Next due'),
    ],
    rows,
  };
}

/** The measurement-assurance summary per enterprise: share in tolerance, verified on time, checks done (last 365 days). */
function assurance({ registry, now }: Ctx, states: Placed[]): Table {
  const orgs = new Map(registry.listOrgs().map((o) => [o.id, o]));
  const byOrg = new Map<string, Placed[]>();
  for (const s of states) {
    const list = byOrg.get(s.org);
    if (list) list.push(s);
    else byOrg.set(s.org, [s]);
  }
  const since = now - 365 * DAY;
  const rows: Row[] = [];
  for (const [org, list] of [...byOrg].sort(([a], [b]) => a.localeCompare(b))) {
    const o = orgs.get(org);
    if (o && o.kind !== 'enterprise') continue;
    const registered = list.filter((s) => s.state !== 'unregistered');
    const inTol = registered.filter((s) => s.state === 'in_tolerance' || s.state === 'due_soon' || s.state === 'near_limit').length;
    const onTime = registered.filter((s) => s.nextDue !== null && s.state !== 'overdue').length;
    const perInstrument = list.map((s) => registry.analytics.listChecks({ instrument: s.id, from: since, limit: 100_000 }).length);
    const checks = perInstrument.reduce((a, b) => a + b, 0);
    const withChecks = perInstrument.filter((n) => n > 0).length;
    rows.push({
      org,
      orgName: o?.name ?? null,
      // The enterprise's own address (its instruments may stand elsewhere).
      ...place(nameLocation(o)),
      instruments: list.length,
      registered: registered.length,
      inTolerance: inTol,
      inTolerancePct: pct(inTol, registered.length),
      verifiedOnTime: onTime,
      verifiedOnTimePct: pct(onTime, registered.length),
      overdue: registered.filter((s) => s.state === 'overdue').length,
      outOfTolerance: registered.filter((s) => s.state === 'out_of_tolerance').length,
      checks365d: checks,
      instrumentsChecked: withChecks,
    });
  }
  return {
    name: 'assurance',
    columns: [
      col('org', 'Mã doanh nghiệp', 'Enterprise id'),
      col('orgName', 'Doanh nghiệp', 'Enterprise'),
      ...PLACE_COLUMNS,
      col('instruments', 'Số phương tiện đo', 'Instruments'),
      col('registered', 'Đã đăng ký', 'Registered'),
      col('inTolerance', 'Trong giới hạn sai số', 'In tolerance'),
      col('inTolerancePct', 'Tỷ lệ trong giới hạn (%)', 'In tolerance (%)'),
      col('verifiedOnTime', 'Kiểm định đúng hạn', 'Verified on time'),
      col('verifiedOnTimePct', 'Tỷ lệ kiểm định đúng hạn (%)', 'Verified on time (%)'),
      col('overdue', 'Quá hạn kiểm định', 'Overdue'),
      col('outOfTolerance', 'Vượt sai số cho phép', 'Out of tolerance'),
      col('checks365d', 'Số lần kiểm tra (365 ngày)', 'Checks (365 days)'),
      col('instrumentsChecked', 'Phương tiện được kiểm tra', 'Instruments checked'),
    ],
    rows,
  };
}

/**
 * The annual province overview for the ministry: per commune (or per province) and kind, for one
 * calendar year (UTC+7). Each instrument counts in the commune where it stands (dashboard/locality.ts).
 */
function annual({ registry, year, groupBy = 'commune' }: Ctx, states: Placed[]): Table {
  const range = vnYearRange(year);
  type Counts = Record<'instruments' | 'verifications' | 'passed' | 'failed' | 'overdue' | 'outOfTolerance' | 'unregistered', number>;
  const groups = new Map<string, { at: Locality; row: Row; n: Counts }>();
  for (const s of states) {
    const at: Locality = groupBy === 'province' ? { ...s.at, commune: null, communeName: null } : s.at;
    const key = `${localityKey(at)}\u0000${s.kind ?? ''}`;
    const g = groups.get(key) ?? {
      at,
      row: { year, ...place(at), kind: s.kind },
      n: { instruments: 0, verifications: 0, passed: 0, failed: 0, overdue: 0, outOfTolerance: 0, unregistered: 0 },
    };
    const cals = datedIn(validRecords(registry, s.id), range);
    const r = g.n;
    r.instruments++;
    r.verifications += cals.length;
    r.passed += cals.filter((c) => c.result === 'pass' || c.result === 'adjusted').length;
    r.failed += cals.filter((c) => c.result === 'fail').length;
    r.overdue += s.state === 'overdue' ? 1 : 0;
    r.outOfTolerance += s.state === 'out_of_tolerance' ? 1 : 0;
    r.unregistered += s.state === 'unregistered' ? 1 : 0;
    groups.set(key, g);
  }
  const rows = [...groups.values()]
    .sort((a, b) => compareLocality(a.at, b.at) || String(a.row.kind ?? '').localeCompare(String(b.row.kind ?? '')))
    .map((g): Row => ({ ...g.row, ...g.n }));
  return {
    name: 'annual',
    columns: [
      col('year', 'Năm', 'Year'),
      ...(groupBy === 'province' ? PLACE_COLUMNS.slice(0, 2) : PLACE_COLUMNS),
      col('kind', 'Loại phương tiện đo', 'Kind'),
      col('instruments', 'Số phương tiện đo', 'Instruments'),
      col('verifications', 'Lượt kiểm định/hiệu chuẩn trong năm', 'Verifications in year'),
      col('passed', 'Đạt', 'Passed'),
      col('failed', 'Không đạt', 'Failed'),
      col('overdue', 'Đang quá hạn', 'Overdue now'),
      col('outOfTolerance', 'Đang vượt sai số', 'Out of tolerance now'),
      col('unregistered', 'Chưa đăng ký', 'Unregistered'),
    ],
    rows,
  };
}

/**
 * Results and their MPE (issue 15 §5, "one number everywhere"): every point of every certificate
 * (its MPE as recorded, from mpeFor at the verification stage) and every check of the last 365 days
 * (mpeFor at the check's load, in service — analytics/channel.ts judges it so), each with the stage
 * its MPE is for, so the report shows the same number as the drift API, the chart and the certificate.
 */
function results({ registry, now }: Ctx, states: Placed[]): Table {
  const since = now - 365 * DAY;
  const rows: Row[] = [];
  for (const s of states) {
    const inst = registry.getInstrument(s.id);
    if (!inst) continue;
    for (const c of registry.analytics.listCalibrations(s.id)) {
      for (const p of c.results) {
        const load = p.reference ?? p.nominal;
        const error = p.asLeft ?? p.asFound;
        rows.push({
          instrument: s.id,
          channel: p.channel,
          record: c.type,
          number: c.certificate,
          date: isoDate(c.date),
          load,
          error,
          mpe: p.mpe ?? null,
          mpeStage: p.mpeStage ?? null,
          unit: p.unit,
          decision: p.conformity ?? null,
        });
      }
    }
    for (const ch of registry.listChannels(s.id)) {
      const tolerance = effectiveTolerance(registry.analytics.getChannelMetrology(s.id, ch.channel)?.tolerance, inst.kind);
      for (const k of registry.analytics.listChecks({ instrument: s.id, channel: ch.channel, from: since, limit: 100_000 })) {
        const mpe = tolerance ? mpeFor(tolerance, k.referenceValue, CHECK_STAGE) : null;
        rows.push({
          instrument: s.id,
          channel: k.channel,
          record: 'check',
          number: k.clientId ?? String(k.id),
          date: isoDate(k.ts),
          load: k.referenceValue,
          error: k.error,
          mpe,
          mpeStage: mpe === null ? null : CHECK_STAGE,
          unit: ch.unit ?? null,
          decision: mpe === null ? null : Math.abs(k.error) <= mpe ? 'pass' : 'fail',
        });
      }
    }
  }
  return {
    name: 'results',
    columns: [
      col('instrument', 'Mã phương tiện đo', 'Instrument id'),
      col('channel', 'Kênh', 'Channel'),
      col('record', 'Loại (kiểm định / hiệu chuẩn / kiểm tra)', 'Record (verification / calibration / check)'),
      col('number', 'Số giấy chứng nhận / mã lần kiểm tra', 'Certificate number / check id'),
      col('date', 'Ngày', 'Date'),
      col('load', 'Tải / lượng chuẩn', 'Test load / reference'),
      col('error', 'Sai số', 'Error'),
      col('mpe', 'Sai số lớn nhất cho phép (MPE)', 'Maximum permissible error (MPE)'),
      col(
        'mpeStage',
        'MPE áp dụng (verification = khi kiểm định; in-service = khi sử dụng, 2 × khi kiểm định)',
        'MPE stage (verification; in-service = 2 × verification)',
      ),
      col('unit', 'Đơn vị', 'Unit'),
      col('decision', 'Kết luận (đơn giản, |sai số| ≤ MPE)', 'Decision (simple, |error| ≤ MPE)'),
    ],
    rows,
  };
}
