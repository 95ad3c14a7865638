import type { InstrumentKind } from '../core/index.js';
import type { OrgKind } from '../store/types.js';

/**
 * The simulated province of the demo: who owns which instruments, on which site, behind which
 * gateway, read through which device profile. Plain data, so a test or a trainer can change it.
 */
export interface DemoInstrument {
  id: string;
  name: string;
  profile: string;
  kind: InstrumentKind;
  serial: string;
  /** Simulated drift of the value channels, per day (engineering units). */
  driftPerDay?: number;
  /** Environmental station facts (issue 8): position, record interval, medium. */
  station?: DemoStation;
  /** A scale's metrology, served by its simulated indicator (division, capacity) and quantising its readings to d. */
  scale?: DemoScale;
}

/**
 * A non-automatic weighing instrument as its data plate states it (OIML R76-1 T.3.1, T.3.2.5):
 * maximum capacity Max, verification scale interval e, actual scale interval d (here d = e, as on
 * most class III trade scales, R76-1 3.1.2), accuracy class. Class III asks e ≥ 0.1 g and
 * 100 ≤ n = Max/e ≤ 10 000, Min = 20 e (R76-1 Table 3). The simulated indicator shows every
 * weight as a multiple of d, like a real one; `load` and `tare` set what lies on it.
 */
export interface DemoScale {
  accuracyClass: 'III';
  /** Max, kg. */
  max: number;
  /** e, kg. */
  e: number;
  /** d, kg; the displayed resolution. */
  d: number;
  /** Gross load on the platform in the simulation, kg, and the tare taken off for net. */
  load: number;
  tare: number;
  /** Standard deviation of the simulated weight before rounding to d, kg. */
  noise: number;
}

/** A market counter scale: Max 30 kg, e = d = 10 g, class III (n = 3 000). */
export const COUNTER_SCALE: DemoScale = { accuracyClass: 'III', max: 30, e: 0.01, d: 0.01, load: 20, tare: 0.5, noise: 0.004 };
/** A 3-tonne platform scale: Max 3 000 kg, e = d = 1 kg, class III (n = 3 000); a pallet of fish boxes on it. */
export const PLATFORM_SCALE: DemoScale = { accuracyClass: 'III', max: 3000, e: 1, d: 1, load: 1260, tare: 85, noise: 0.4 };

/**
 * A monitoring station of the demo: where it stands and how its datalogger behaves. The demo
 * seeds the last 24 h of records (with the calibration cycle, a fault, a gap and the episode), and
 * plays the same cycle live on the simulator (simulators/station-cycle.ts).
 */
export interface DemoStation {
  medium: 'air' | 'water';
  latitude: number;
  longitude: number;
  /** One record per parameter this often (the gateway polls at this period outside tests). */
  intervalMs: number;
  toleranceMs: number;
  /** Analyser channels calibrated daily with zero and span gas (span in the channel unit). */
  gases?: Array<{ channel: string; span: number; spanU: number }>;
  /** A pollution episode: channels at these levels over the last `hours` before start and the first hour after. */
  episode?: { hours: number; levels: Record<string, number> };
}

export interface DemoSite {
  gateway: string;
  org: string;
  site: string;
  /** Province and commune codes of the site (core/admin-units.ts, in force since 1 July 2025). */
  province: string;
  commune: string;
  instruments: DemoInstrument[];
}

export interface DemoProvince {
  orgs: Array<{
    id: string;
    name: string;
    kind: OrgKind;
    province: string;
    commune: string;
    /** History: the district as entered before 1 July 2025. */
    district: string;
  }>;
  sites: DemoSite[];
}

const scales = (prefix: string, from: number, count: number, site: string): DemoInstrument[] =>
  Array.from({ length: count }, (_, k) => {
    const n = from + k;
    return {
      id: `${prefix}-${String(n).padStart(4, '0')}`,
      name: `Cân điện tử, ${site} ${k + 1}`,
      profile: 'weighing-indicator-tcp',
      kind: 'scale' as const,
      serial: `WI-${2024000 + n}`,
      // One market scale drifts slowly, so analytics has something to find.
      driftPerDay: k === 2 ? 0.0004 : undefined,
      scale: COUNTER_SCALE,
    };
  });

/**
 * The demo province after the two-level administration of 1 July 2025: the former Bình Thuận
 * coast, now part of Lâm Đồng (province 68, capital Đà Lạt). Communes are real units of the list
 * (core/data/admin-units-2025.json); which ward each demo site falls in is illustrative. The
 * provincial departments sit in Đà Lạt while their stations stand on the coast, so a report that
 * grouped stations by their owner's address would put them in the wrong place.
 */
const LAM_DONG = '68';
const P = {
  phanThiet: '22945', // Phường Phan Thiết
  muiNe: '22918', // Phường Mũi Né
  hamThang: '22933', // Phường Hàm Thắng
  phuThuy: '22924', // Phường Phú Thủy
  laGi: '23235', // Phường La Gi
  daLat: '24781', // Phường Xuân Hương - Đà Lạt
} as const;

export const DEMO_PROVINCE: DemoProvince = {
  orgs: [
    { id: 'cho-phan-thiet', name: 'Ban quản lý chợ Phan Thiết', kind: 'enterprise', province: LAM_DONG, commune: P.phanThiet, district: 'TP Phan Thiết' },
    { id: 'xang-dau-mui-ne', name: 'Công ty TNHH Xăng dầu Mũi Né', kind: 'enterprise', province: LAM_DONG, commune: P.muiNe, district: 'TP Phan Thiết' },
    { id: 'thuy-san-la-gi', name: 'Công ty CP Thủy sản La Gi', kind: 'enterprise', province: LAM_DONG, commune: P.laGi, district: 'TX La Gi' },
    // Since 1 March 2025 the departments of natural resources and of agriculture are one.
    { id: 'so-tnmt', name: 'Sở Nông nghiệp và Môi trường tỉnh Lâm Đồng', kind: 'authority', province: LAM_DONG, commune: P.daLat, district: 'TP Phan Thiết' },
    {
      id: 'ttkt-tdc',
      name: 'Trung tâm Kỹ thuật Tiêu chuẩn Đo lường Chất lượng',
      kind: 'lab',
      province: LAM_DONG,
      commune: P.phuThuy,
      district: 'TP Phan Thiết',
    },
    { id: 'chi-cuc-tdc', name: 'Chi cục Tiêu chuẩn Đo lường Chất lượng', kind: 'authority', province: LAM_DONG, commune: P.daLat, district: 'TP Phan Thiết' },
  ],
  sites: [
    {
      gateway: 'gw-cho-pt-01',
      org: 'cho-phan-thiet',
      site: 'Chợ Phan Thiết, khu hải sản',
      province: LAM_DONG,
      commune: P.phanThiet,
      instruments: scales('SC', 1, 5, 'sạp'),
    },
    {
      gateway: 'gw-cxd-mn-01',
      org: 'xang-dau-mui-ne',
      site: 'Cửa hàng xăng dầu số 3, Mũi Né',
      province: LAM_DONG,
      commune: P.muiNe,
      instruments: Array.from({ length: 4 }, (_, k) => ({
        id: `FD-${String(k + 1).padStart(4, '0')}`,
        name: `Cột đo xăng dầu số ${k + 1} (vòi 1 RON95, vòi 2 DO)`,
        profile: 'fuel-dispenser-2n-tcp',
        kind: 'fuel_dispenser' as const,
        serial: `FD-${2023100 + k}`,
      })),
    },
    {
      gateway: 'gw-ts-lg-01',
      org: 'thuy-san-la-gi',
      site: 'Nhà máy chế biến, La Gi',
      province: LAM_DONG,
      commune: P.laGi,
      instruments: [
        {
          id: 'SC-0101',
          name: 'Cân bàn 3 tấn, khu tiếp nhận',
          profile: 'weighing-indicator-tcp',
          kind: 'scale',
          serial: 'PF-3000-7781',
          scale: PLATFORM_SCALE,
        },
      ],
    },
    {
      gateway: 'gw-qt-pt-01',
      org: 'so-tnmt',
      site: 'Trạm quan trắc không khí tự động, phường Phan Thiết',
      province: LAM_DONG,
      commune: P.phanThiet,
      instruments: [
        {
          id: 'AQ-PT-01',
          name: 'Trạm quan trắc không khí Phan Thiết',
          profile: 'air-station-tcp',
          kind: 'env_station',
          serial: 'AQMS-0042',
          station: {
            medium: 'air',
            latitude: 10.9289,
            longitude: 108.1021,
            intervalMs: 60_000,
            toleranceMs: 120_000,
            gases: [
              { channel: 'so2', span: 800, spanU: 16 },
              { channel: 'no2', span: 400, spanU: 8 },
            ],
          },
        },
      ],
    },
    {
      gateway: 'gw-qt-lg-01',
      org: 'so-tnmt',
      site: 'Trạm quan trắc không khí tự động, phường La Gi',
      province: LAM_DONG,
      commune: P.laGi,
      instruments: [
        {
          id: 'AQ-LG-01',
          name: 'Trạm quan trắc không khí La Gi',
          profile: 'air-station-tcp',
          kind: 'env_station',
          serial: 'AQMS-0057',
          // An episode at start: dust and SO₂ from a burning field upwind since this morning.
          station: {
            medium: 'air',
            latitude: 10.6597,
            longitude: 107.7711,
            intervalMs: 60_000,
            toleranceMs: 120_000,
            gases: [{ channel: 'so2', span: 800, spanU: 16 }],
            episode: { hours: 10, levels: { pm25: 160, pm10: 240, so2: 420 } },
          },
        },
      ],
    },
    {
      gateway: 'gw-qt-kcn-01',
      org: 'so-tnmt',
      site: 'Trạm quan trắc nước thải tự động, KCN Phan Thiết',
      province: LAM_DONG,
      commune: P.hamThang,
      instruments: [
        {
          id: 'WQ-PT-01',
          name: 'Trạm quan trắc nước thải KCN Phan Thiết',
          profile: 'water-station-tcp',
          kind: 'env_station',
          serial: 'WQMS-0013',
          station: { medium: 'water', latitude: 10.9608, longitude: 108.0407, intervalMs: 60_000, toleranceMs: 120_000 },
        },
      ],
    },
  ],
};

/**
 * The demo's metrology (issue 5): the lab's reference standards and, per instrument, the
 * history analytics starts from — so that on start the demo shows instruments in tolerance, one
 * drifting towards its limit with a predicted date, one out of tolerance, one overdue, one
 * checked against an expired standard. Days are counted back from the start of the demo.
 */
export interface DemoStandard {
  id: string;
  quantity: string;
  unit: string;
  nominal: number;
  value: number;
  U: number;
  class: string;
  /** Calibrated this many days ago; due `validDays` later. */
  calibratedDaysAgo: number;
  validDays: number;
  parent: string | null;
  /** A root's anchor (its certificate date is its calibration date): without one its chain is not traceable. */
  anchor?: { kind: 'national_standard' | 'accredited_certificate'; issuer: string; certificate: string };
}

const VMI = 'Viện Đo lường Việt Nam (VMI)';

export type DemoScenario = 'in_tolerance' | 'drifting' | 'out_of_tolerance' | 'overdue' | 'expired_standard';

export interface DemoHistory {
  instrument: string;
  channel: string;
  tolerance: import('../core/index.js').ToleranceSpec;
  repeatability: number;
  analyser?: boolean;
  reference: string;
  /** Verified this many days ago (interval from the kind: 365 d). */
  verifiedDaysAgo: number;
  everyDays: number;
  scenario: DemoScenario;
  /** Error growth per day for `drifting`, final error for `out_of_tolerance`. */
  driftPerDay?: number;
  finalError?: number;
}

export const DEMO_LAB = 'ttkt-tdc';

export const DEMO_STANDARDS: DemoStandard[] = [
  {
    id: 'REF-F1-SET',
    quantity: 'mass',
    unit: 'kg',
    nominal: 20,
    value: 20.00002,
    U: 0.0001,
    class: 'OIML F1',
    calibratedDaysAgo: 200,
    validDays: 730,
    parent: null,
    anchor: { kind: 'accredited_certificate', issuer: VMI, certificate: 'V01.KL-0412/2025' },
  },
  {
    id: 'REF-M1-20KG',
    quantity: 'mass',
    unit: 'kg',
    nominal: 20,
    value: 20.0003,
    U: 0.001,
    class: 'OIML M1',
    calibratedDaysAgo: 220,
    validDays: 365,
    parent: 'REF-F1-SET',
  },
  {
    id: 'REF-M1-20KG-B',
    quantity: 'mass',
    unit: 'kg',
    nominal: 20,
    value: 19.9998,
    U: 0.001,
    class: 'OIML M1',
    calibratedDaysAgo: 400,
    validDays: 365,
    parent: 'REF-F1-SET',
  },
  // Smaller weights of the same set, for multi-load checks of the market scales.
  ...([5, 10] as const).map(
    (kg): DemoStandard => ({
      id: `REF-M1-${kg}KG`,
      quantity: 'mass',
      unit: 'kg',
      nominal: kg,
      value: kg + 0.0001,
      U: kg * 0.00005,
      class: 'OIML M1',
      calibratedDaysAgo: 120,
      validDays: 365,
      parent: 'REF-F1-SET',
    }),
  ),
  {
    id: 'REF-M1-1000KG',
    quantity: 'mass',
    unit: 'kg',
    nominal: 1000,
    value: 1000.02,
    U: 0.05,
    class: 'OIML M1',
    calibratedDaysAgo: 150,
    validDays: 365,
    parent: null,
    anchor: { kind: 'accredited_certificate', issuer: VMI, certificate: 'V01.KL-0398/2025' },
  },
  {
    id: 'REF-TM-20L',
    quantity: 'volume',
    unit: 'L',
    nominal: 20,
    value: 20.004,
    U: 0.004,
    class: 'bình chuẩn hạng II',
    calibratedDaysAgo: 120,
    validDays: 365,
    parent: null,
    anchor: { kind: 'accredited_certificate', issuer: VMI, certificate: 'V03.DT-0127/2025' },
  },
  {
    id: 'REF-GAS-SO2',
    quantity: 'SO2 concentration',
    unit: 'ug/m3',
    nominal: 800,
    value: 802,
    U: 16,
    class: 'khí chuẩn',
    calibratedDaysAgo: 60,
    validDays: 365,
    parent: null,
    anchor: {
      kind: 'accredited_certificate',
      issuer: 'Nhà cung cấp khí chuẩn (PTN hiệu chuẩn được công nhận ISO/IEC 17025)',
      certificate: 'CRM-SO2-2025-118',
    },
  },
];

const r76 = (s: DemoScale) => ({ model: 'oiml-r76' as const, accuracyClass: s.accuracyClass, e: s.e, max: s.max, min: 20 * s.e });

const scale = (instrument: string, scenario: DemoScenario, more: Partial<DemoHistory> = {}): DemoHistory => ({
  instrument,
  channel: 'gross',
  tolerance: r76(COUNTER_SCALE),
  repeatability: 0.002,
  reference: 'REF-M1-20KG',
  verifiedDaysAgo: 150,
  everyDays: 7,
  scenario,
  ...more,
});

export const DEMO_HISTORY: DemoHistory[] = [
  scale('SC-0001', 'in_tolerance'),
  scale('SC-0002', 'in_tolerance', { verifiedDaysAgo: 90 }),
  // 0.00006 kg/day since verification 200 days ago: 0.012 kg now, MPE 0.02 kg → predicted before due.
  scale('SC-0003', 'drifting', { verifiedDaysAgo: 200, driftPerDay: 0.00006 }),
  scale('SC-0004', 'in_tolerance', { verifiedDaysAgo: 60 }),
  scale('SC-0005', 'expired_standard', { reference: 'REF-M1-20KG-B', verifiedDaysAgo: 100 }),
  scale('SC-0101', 'out_of_tolerance', {
    tolerance: r76(PLATFORM_SCALE),
    repeatability: 0.2,
    reference: 'REF-M1-1000KG',
    finalError: 2.6,
  }),
  ...['FD-0001', 'FD-0002', 'FD-0003', 'FD-0004'].map(
    (id, k): DemoHistory => ({
      instrument: id,
      channel: 'n1_last_delivery',
      tolerance: { model: 'oiml-r117', accuracyClass: '0.5', part: 'system' },
      repeatability: 0.008,
      reference: 'REF-TM-20L',
      verifiedDaysAgo: k === 3 ? 380 : 100 + 20 * k,
      everyDays: 14,
      scenario: k === 3 ? 'overdue' : 'in_tolerance',
    }),
  ),
  {
    instrument: 'AQ-PT-01',
    channel: 'so2',
    tolerance: { model: 'analyser', span: 1000, gas: 'so2' },
    repeatability: 4,
    analyser: true,
    reference: 'REF-GAS-SO2',
    verifiedDaysAgo: 45,
    everyDays: 1,
    scenario: 'in_tolerance',
  },
];
