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
}

export interface DemoSite {
  gateway: string;
  org: string;
  site: string;
  instruments: DemoInstrument[];
}

export interface DemoProvince {
  orgs: Array<{ id: string; name: string; kind: OrgKind; district: string }>;
  sites: DemoSite[];
}

const scales = (prefix: string, from: number, count: number, site: string): DemoInstrument[] =>
  Array.from({ length: count }, (_, k) => {
    const n = from + k;
    return {
      id: `${prefix}-${String(n).padStart(4, '0')}`,
      name: `Cân đồng hồ điện tử, ${site} ${k + 1}`,
      profile: 'weighing-indicator-tcp',
      kind: 'scale' as const,
      serial: `WI-${2024000 + n}`,
      // One market scale drifts slowly, so analytics has something to find.
      driftPerDay: k === 2 ? 0.0004 : undefined,
    };
  });

export const DEMO_PROVINCE: DemoProvince = {
  orgs: [
    { id: 'cho-phan-thiet', name: 'Ban quản lý chợ Phan Thiết', kind: 'enterprise', district: 'Phan Thiết' },
    { id: 'xang-dau-mui-ne', name: 'Công ty TNHH Xăng dầu Mũi Né', kind: 'enterprise', district: 'Phan Thiết' },
    { id: 'thuy-san-la-gi', name: 'Công ty CP Thủy sản La Gi', kind: 'enterprise', district: 'La Gi' },
    { id: 'so-tnmt', name: 'Sở Tài nguyên và Môi trường', kind: 'authority', district: 'Phan Thiết' },
    { id: 'ttkt-tdc', name: 'Trung tâm Kỹ thuật Tiêu chuẩn Đo lường Chất lượng', kind: 'lab', district: 'Phan Thiết' },
    { id: 'chi-cuc-tdc', name: 'Chi cục Tiêu chuẩn Đo lường Chất lượng', kind: 'authority', district: 'Phan Thiết' },
  ],
  sites: [
    { gateway: 'gw-cho-pt-01', org: 'cho-phan-thiet', site: 'Chợ Phan Thiết, khu hải sản', instruments: scales('SC', 1, 5, 'sạp') },
    {
      gateway: 'gw-cxd-mn-01',
      org: 'xang-dau-mui-ne',
      site: 'Cửa hàng xăng dầu số 3, Mũi Né',
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
      instruments: [{ id: 'SC-0101', name: 'Cân bàn 3 tấn, khu tiếp nhận', profile: 'weighing-indicator-tcp', kind: 'scale', serial: 'PF-3000-7781' }],
    },
    {
      gateway: 'gw-qt-pt-01',
      org: 'so-tnmt',
      site: 'Trạm quan trắc không khí tự động, TP Phan Thiết',
      instruments: [{ id: 'AQ-PT-01', name: 'Trạm quan trắc không khí Phan Thiết', profile: 'air-station-tcp', kind: 'env_station', serial: 'AQMS-0042' }],
    },
  ],
};
