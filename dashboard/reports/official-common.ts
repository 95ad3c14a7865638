import type { AlertKind } from '../../core/index.js';
import type { Org, Registry } from '../../store/index.js';
import type { Principal } from '../auth/tenant.js';
import { type InstrumentState, type InstrumentStateRow, liveAlertsByInstrument, type OfflineRule } from '../states.js';
import { type FormCell, type FormColumn, tx } from './form.js';
import { label, uiText } from './labels.js';

/** What the four reports in official form are built from (official.ts); each report has its own file. */
export interface OfficialCtx {
  registry: Registry;
  p: Principal;
  now: number;
  year: number;
  offline?: OfflineRule;
  /** enterprise-assurance: one enterprise only. */
  org?: string;
  /** Only instruments of this province / commune (codes checked by the caller). */
  province?: string;
  commune?: string;
}

/** An instrument's state with the place it counts in: its commune, else its province (dashboard/locality.ts). */
export type Placed = InstrumentStateRow & { place: FormCell };

export interface Work extends OfficialCtx {
  states: Placed[];
  /** Every organisation by id, read once per report. */
  orgs: Map<string, Org>;
  orgName: (org: string | null) => string | null;
}

export const col = (key: string, vi: string, en: string, type: FormColumn['type'], extra: Partial<FormColumn> = {}): FormColumn => ({
  key,
  title: tx(vi, en),
  type,
  ...extra,
});
/** A column headed by the web UI's own words (labels.ts). */
const uiCol = (key: string, text: string, type: FormColumn['type'], extra: Partial<FormColumn> = {}): FormColumn => ({
  key,
  title: uiText(text),
  type,
  ...extra,
});
/** A count of instruments in one state, headed by the state's word. */
export const stateCount = (key: string, state: InstrumentState): FormColumn => col(key, label('vi', 'state', state), label('en', 'state', state), 'int');

/** The columns several reports print. */
export const COLUMNS = {
  commune: uiCol('commune', 'col.commune', 'text', { width: 2 }),
  kind: col('kind', 'Loại phương tiện đo', 'Kind of instrument', 'text', { label: 'kind', width: 1.5 }),
  instruments: uiCol('instruments', 'col.instruments', 'int'),
  unregistered: col('unregistered', 'Chưa đăng ký', 'Not registered', 'int'),
  owner: col('org', 'Tổ chức, cá nhân sử dụng', 'Owner', 'text', { width: 2 }),
  instrument: col('instrument', 'Mã phương tiện đo', 'Instrument id', 'text'),
  name: col('name', 'Tên phương tiện đo', 'Name', 'text', { width: 2 }),
  serial: uiCol('serial', 'col.serial', 'text'),
  state: uiCol('state', 'col.state', 'text', { label: 'state', width: 1.5 }),
  last: uiCol('last', 'col.lastVerification', 'date'),
  due: col('due', 'Hạn kiểm định', 'Verification due', 'date'),
};
export const enterpriseColumn = (width: number): FormColumn => col('org', 'Doanh nghiệp', 'Enterprise', 'text', { width });

export const SUMMARY_SHEET = tx('Tổng hợp', 'Summary');
export const BY_PLACE_AND_KIND = tx('I. Tổng hợp theo địa bàn và loại phương tiện đo', 'I. Summary by locality and kind');

/** A cell as Vietnamese text, for sorting and grouping. */
export const text = (v: FormCell | undefined): string => (v == null ? '' : typeof v === 'object' ? v.vi : String(v));
/** Rows that start with place and kind, in that order (Vietnamese collation for the place). */
export const byPlaceKind = (a: FormCell[], b: FormCell[]): number => text(a[0]).localeCompare(text(b[0]), 'vi') || text(a[1]).localeCompare(text(b[1]));
/** Lists of instruments that start with place, owner and instrument id, in that order. */
export const byPlaceOwnerId = (a: FormCell[], b: FormCell[]): number => byPlaceKind(a, b) || text(a[2]).localeCompare(text(b[2]));

/** Items grouped by a key, in first-seen order. */
export function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const i of items) {
    const k = key(i);
    const g = m.get(k);
    if (g) g.push(i);
    else m.set(k, [i]);
  }
  return m;
}

/** Instruments grouped by the place they count in and their kind (the summary rows of inventory and verification status). */
export const byPlaceAndKind = (states: Placed[]): Placed[][] => [...groupBy(states, (s) => `${text(s.place)}\u0000${s.kind}`).values()];

/** Kinds of live alerts per instrument: the same alerts the state word is decided from. */
export function alertKinds(w: Work): (id: string) => Set<AlertKind> {
  const live = liveAlertsByInstrument(w.registry, w.p);
  return (id) => new Set((live.get(id) ?? []).map((a) => a.kind));
}

export const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
