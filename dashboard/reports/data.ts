import { CHECK_STAGE, effectiveTolerance, mpeFor } from '../../analytics/tolerance.js';
import type { Registry } from '../../store/types.js';
import type { Principal } from '../auth/tenant.js';
import { instrumentStates, type InstrumentStateRow, type OfflineRule } from '../states.js';
import { DAY } from '../../core/time.js';

/**
 * The reports of issue 7 as plain tables (one header, rows of cells), built from the same
 * tenant-scoped instrument states the overview shows; files.ts writes them as CSV or XLSX.
 */
export type Cell = string | number | boolean | null;
export interface Column {
  key: string;
  vi: string;
  en: string;
}
export interface Table {
  name: string;
  columns: Column[];
  rows: Cell[][];
}

export const REPORTS = ['inventory', 'assurance', 'annual', 'results'] as const;
export type ReportName = (typeof REPORTS)[number];

const col = (key: string, vi: string, en: string): Column => ({ key, vi, en });
const isoDate = (ts: number | null) => (ts === null ? null : new Date(ts + 7 * 3_600_000).toISOString().slice(0, 10)); // dates as in Vietnam (UTC+7)
const pct = (n: number, d: number) => (d === 0 ? null : Math.round((n / d) * 1000) / 10);

interface Ctx {
  registry: Registry;
  p: Principal;
  now: number;
  year: number;
  offline?: OfflineRule;
}

export function buildReport(name: ReportName, ctx: Ctx): Table {
  const states = instrumentStates(ctx.registry, ctx.p, ctx.now, ctx.offline);
  if (name === 'inventory') return inventory(ctx, states);
  if (name === 'assurance') return assurance(ctx, states);
  if (name === 'results') return results(ctx, states);
  return annual(ctx, states);
}

/** Instrument inventory and state, by district and organisation. */
function inventory({ registry }: Ctx, states: InstrumentStateRow[]): Table {
  const orgs = new Map(registry.listOrgs().map((o) => [o.id, o]));
  const rows = states.map((s) => {
    const i = registry.getInstrument(s.id)!;
    const o = orgs.get(s.org);
    return [
      o?.district ?? null,
      s.org,
      o?.name ?? null,
      s.id,
      i.name ?? null,
      s.kind,
      i.serial ?? null,
      s.site,
      i.registration,
      s.lab,
      s.state,
      s.online,
      isoDate(s.lastCalibration),
      isoDate(s.nextDue),
    ] as Cell[];
  });
  rows.sort(
    (a, b) =>
      String(a[0] ?? '').localeCompare(String(b[0] ?? ''), 'vi') || String(a[1]).localeCompare(String(b[1])) || String(a[3]).localeCompare(String(b[3])),
  );
  return {
    name: 'inventory',
    columns: [
      col('district', 'Quận/huyện', 'District'),
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
function assurance({ registry, now }: Ctx, states: InstrumentStateRow[]): Table {
  const orgs = new Map(registry.listOrgs().map((o) => [o.id, o]));
  const byOrg = new Map<string, InstrumentStateRow[]>();
  for (const s of states) byOrg.set(s.org, [...(byOrg.get(s.org) ?? []), s]);
  const since = now - 365 * DAY;
  const rows: Cell[][] = [];
  for (const [org, list] of [...byOrg].sort(([a], [b]) => a.localeCompare(b))) {
    const o = orgs.get(org);
    if (o && o.kind !== 'enterprise') continue;
    const registered = list.filter((s) => s.state !== 'unregistered');
    const inTol = registered.filter((s) => s.state === 'in_tolerance' || s.state === 'due_soon' || s.state === 'near_limit').length;
    const onTime = registered.filter((s) => s.nextDue !== null && s.state !== 'overdue').length;
    const checks = list.reduce((n, s) => n + registry.analytics.listChecks({ instrument: s.id, from: since, limit: 100_000 }).length, 0);
    const withChecks = list.filter((s) => registry.analytics.listChecks({ instrument: s.id, from: since, limit: 1 }).length > 0).length;
    rows.push([
      org,
      o?.name ?? null,
      o?.district ?? null,
      list.length,
      registered.length,
      inTol,
      pct(inTol, registered.length),
      onTime,
      pct(onTime, registered.length),
      registered.filter((s) => s.state === 'overdue').length,
      registered.filter((s) => s.state === 'out_of_tolerance').length,
      checks,
      withChecks,
    ]);
  }
  return {
    name: 'assurance',
    columns: [
      col('org', 'Mã doanh nghiệp', 'Enterprise id'),
      col('orgName', 'Doanh nghiệp', 'Enterprise'),
      col('district', 'Quận/huyện', 'District'),
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

/** The annual province overview for the ministry: per district and kind, for one calendar year. */
function annual({ registry, year }: Ctx, states: InstrumentStateRow[]): Table {
  const orgs = new Map(registry.listOrgs().map((o) => [o.id, o]));
  const from = Date.UTC(year, 0, 1) - 7 * 3_600_000;
  const to = Date.UTC(year + 1, 0, 1) - 7 * 3_600_000;
  const groups = new Map<string, Cell[]>();
  for (const s of states) {
    const district = orgs.get(s.org)?.district ?? null;
    const key = `${district ?? ''}\u0000${s.kind ?? ''}`;
    const g = groups.get(key) ?? [year, district, s.kind, 0, 0, 0, 0, 0, 0, 0];
    const cals = registry.analytics.listCalibrations(s.id).filter((c) => c.date >= from && c.date < to);
    (g[3] as number)++;
    g[4] = (g[4] as number) + cals.length;
    g[5] = (g[5] as number) + cals.filter((c) => c.result === 'pass' || c.result === 'adjusted').length;
    g[6] = (g[6] as number) + cals.filter((c) => c.result === 'fail').length;
    g[7] = (g[7] as number) + (s.state === 'overdue' ? 1 : 0);
    g[8] = (g[8] as number) + (s.state === 'out_of_tolerance' ? 1 : 0);
    g[9] = (g[9] as number) + (s.state === 'unregistered' ? 1 : 0);
    groups.set(key, g);
  }
  const rows = [...groups.values()].sort(
    (a, b) => String(a[1] ?? '').localeCompare(String(b[1] ?? ''), 'vi') || String(a[2] ?? '').localeCompare(String(b[2] ?? '')),
  );
  return {
    name: 'annual',
    columns: [
      col('year', 'Năm', 'Year'),
      col('district', 'Quận/huyện', 'District'),
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
function results({ registry, now }: Ctx, states: InstrumentStateRow[]): Table {
  const since = now - 365 * DAY;
  const rows: Cell[][] = [];
  for (const s of states) {
    const inst = registry.getInstrument(s.id);
    if (!inst) continue;
    for (const c of registry.analytics.listCalibrations(s.id)) {
      for (const p of c.results) {
        const load = p.reference ?? p.nominal;
        const error = p.asLeft ?? p.asFound;
        rows.push([s.id, p.channel, c.type, c.certificate, isoDate(c.date), load, error, p.mpe ?? null, p.mpeStage ?? null, p.unit, p.conformity ?? null]);
      }
    }
    for (const ch of registry.listChannels(s.id)) {
      const tolerance = effectiveTolerance(registry.analytics.getChannelMetrology(s.id, ch.channel)?.tolerance, inst.kind);
      for (const k of registry.analytics.listChecks({ instrument: s.id, channel: ch.channel, from: since, limit: 100_000 })) {
        const mpe = tolerance ? mpeFor(tolerance, k.referenceValue, CHECK_STAGE) : null;
        rows.push([
          s.id,
          k.channel,
          'check',
          k.clientId ?? String(k.id),
          isoDate(k.ts),
          k.referenceValue,
          k.error,
          mpe,
          mpe === null ? null : CHECK_STAGE,
          ch.unit ?? null,
          mpe === null ? null : Math.abs(k.error) <= mpe ? 'pass' : 'fail',
        ]);
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
