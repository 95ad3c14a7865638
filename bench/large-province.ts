/**
 * A large, realistic province for load and browser benchmarks: `seedLargeProvince(options)`.
 *
 * What it seeds (all through the store APIs and the analytics engine, the paths the services use):
 *
 * - organisations across the ten districts of the province: one enterprise per 20 instruments
 *   (500 for 10 000), three labs, two authorities; one gateway per enterprise (2 % offline, their
 *   instruments last seen days ago);
 * - `instruments` registered instruments (default 10 000): 70 % scales, 24 % fuel dispensers,
 *   4 % air and 2 % water stations, each with the channels of its device profile, a latest value,
 *   served by the lab of its district; plus 0.5 % unregistered instruments as ingest creates them;
 * - per lab, reference standards (mass, volume, SO₂ span gas; one expired);
 * - per instrument one verification (3 % of them more than a year ago: overdue) and
 *   `checksPerInstrument` checks on its primary channel spread over the last `days` days (5 % of
 *   the instruments drifting, 2 % out of tolerance on their last check), so drift views, due
 *   lists and alerts are non-trivial;
 * - users with known passwords: `admin`, `authority`, a lab user (first lab) and an enterprise
 *   user (first enterprise), returned in `logins`;
 * - readings in the SQLite readings store: every `readingEveryMinutes` (default 15) over `days`
 *   days on the primary channel of the first `readingInstruments` instruments (default 300 —
 *   all readings of all 10 000 instruments would be ≈ 86 million rows). The first instruments
 *   belong to the first enterprise, so the enterprise login sees instruments with history.
 *
 * Time (2 vCPU, shared, load ≈ 10): ≈ 2 min 15 s for the defaults — registry 3 s, 10 000
 * verifications and 80 000 checks through the analytics engine ≈ 100 s, 2.6 million readings
 * ≈ 30 s; ≈ 250 MB on disk. 400 instruments take ≈ 5 s (tests).
 * The data folder is reused when it holds a manifest (`large-province.json`) of the same
 * options: a second call returns at once.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { channelOf, DEFAULT_LIMIT_SET, getProfile, loadProfiles, type Check, type InstrumentKind, type Reading, type ToleranceSpec } from '../core/index.js';
import { openRegistry, openSqliteReadings, type Role, type StoredReading } from '../store/index.js';
import { Engine } from '../analytics/engine.js';
import { gaussian, mulberry32 } from '../simulators/random.js';
import { DAY } from '../core/time.js';

export interface LargeProvinceSeed {
  dataDir: string;
  instruments?: number;
  days?: number;
  readingEveryMinutes?: number;
  checksPerInstrument?: number;
  /** Seed of the pseudo-random choices (same seed, same province). */
  seed?: number;
  /** Instruments with `days` of readings (the others carry their latest value only). */
  readingInstruments?: number;
  /** The end of the seeded history (default now). */
  now?: number;
  log?: (message: string) => void;
}

export interface LargeProvinceLogin {
  role: Role;
  username: string;
  password: string;
  org: string | null;
}

export interface LargeProvince {
  registryPath: string;
  readingsPath: string;
  logins: LargeProvinceLogin[];
  /** Registered instruments, in creation order (first enterprise first). */
  instrumentIds: string[];
  /** Instruments with readings history, with their org and the channel that has it. */
  withReadings: Array<{ id: string; org: string; channel: string }>;
  orgs: { enterprises: string[]; labs: string[]; authorities: string[] };
  /** The readings range seeded: [from, to). */
  from: number;
  to: number;
  counts: {
    orgs: number;
    gateways: number;
    instruments: number;
    unregistered: number;
    references: number;
    checks: number;
    calibrations: number;
    readings: number;
  };
  seconds: number;
}

const DISTRICTS = ['Phan Thiết', 'La Gi', 'Tuy Phong', 'Bắc Bình', 'Hàm Thuận Bắc', 'Hàm Thuận Nam', 'Tánh Linh', 'Đức Linh', 'Hàm Tân', 'Phú Quý'];
const MANIFEST = 'large-province.json';
const PASSWORD = (user: string) => `${user}-Mật-khẩu-2026`;

interface Kind {
  kind: InstrumentKind;
  /** Name shown to people (Vietnamese, as the registry of a province holds it). */
  label: string;
  prefix: string;
  profile: string;
  share: number;
  channel: string;
  tolerance: ToleranceSpec;
  repeatability: number;
  /** Reference standard id suffix (per lab), or an inline reference value. */
  reference: string | { value: number; U: number };
  /** Typical reading of the primary channel and its noise. */
  value: number;
  noise: number;
}

const KINDS: Kind[] = [
  {
    kind: 'scale',
    label: 'Cân điện tử',
    prefix: 'SC',
    profile: 'weighing-indicator-tcp',
    share: 0.7,
    channel: 'gross',
    tolerance: { model: 'oiml-r76', accuracyClass: 'III', e: 0.01 },
    repeatability: 0.002,
    reference: 'M1-20KG',
    value: 12,
    noise: 6,
  },
  {
    kind: 'fuel_dispenser',
    label: 'Cột đo xăng dầu',
    prefix: 'FD',
    profile: 'fuel-dispenser-2n-tcp',
    share: 0.24,
    channel: 'n1_last_delivery',
    tolerance: { model: 'oiml-r117', accuracyClass: '0.5', part: 'system' },
    repeatability: 0.008,
    reference: 'TM-20L',
    value: 25,
    noise: 15,
  },
  {
    kind: 'env_station',
    label: 'Trạm quan trắc không khí',
    prefix: 'AQ',
    profile: 'air-station-tcp',
    share: 0.04,
    channel: 'so2',
    tolerance: { model: 'analyser', span: 1000, gas: 'so2' },
    repeatability: 4,
    reference: 'GAS-SO2',
    value: 40,
    noise: 15,
  },
  {
    kind: 'env_station',
    label: 'Trạm quan trắc nước thải',
    prefix: 'WQ',
    profile: 'water-station-tcp',
    share: 0.02,
    channel: 'ph',
    tolerance: { model: 'absolute', mpe: 0.2 },
    repeatability: 0.02,
    reference: { value: 7, U: 0.02 },
    value: 7.2,
    noise: 0.3,
  },
];

const STANDARDS = [
  { suffix: 'M1-20KG', quantity: 'mass', unit: 'kg', nominal: 20, value: 20.0003, U: 0.001, class: 'OIML M1', ageDays: 200, validDays: 365 },
  { suffix: 'M1-20KG-OLD', quantity: 'mass', unit: 'kg', nominal: 20, value: 19.9998, U: 0.001, class: 'OIML M1', ageDays: 400, validDays: 365 },
  { suffix: 'TM-20L', quantity: 'volume', unit: 'L', nominal: 20, value: 20.004, U: 0.004, class: 'bình chuẩn hạng II', ageDays: 120, validDays: 365 },
  { suffix: 'GAS-SO2', quantity: 'SO2 concentration', unit: 'ug/m3', nominal: 800, value: 802, U: 16, class: 'khí chuẩn', ageDays: 60, validDays: 365 },
];

/** The simulators' seeded generator (same seed, same province). */
function generator(seed: number): { uniform: () => number; normal: () => number } {
  const uniform = mulberry32(seed);
  return { uniform, normal: gaussian(uniform) };
}

export async function seedLargeProvince(options: LargeProvinceSeed): Promise<LargeProvince> {
  const o = {
    instruments: 10_000,
    days: 90,
    readingEveryMinutes: 15,
    checksPerInstrument: 8,
    seed: 1,
    readingInstruments: 300,
    ...options,
  };
  const log = o.log ?? (() => undefined);
  const started = Date.now();
  mkdirSync(o.dataDir, { recursive: true });
  const registryPath = join(o.dataDir, 'registry.db');
  const readingsPath = join(o.dataDir, 'readings.db');
  const key = JSON.stringify({
    instruments: o.instruments,
    days: o.days,
    readingEveryMinutes: o.readingEveryMinutes,
    checksPerInstrument: o.checksPerInstrument,
    seed: o.seed,
    readingInstruments: o.readingInstruments,
  });
  const manifestPath = join(o.dataDir, MANIFEST);
  if (existsSync(manifestPath)) {
    const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as { key: string; province: LargeProvince };
    if (m.key === key && existsSync(registryPath) && existsSync(readingsPath)) return { ...m.province, registryPath, readingsPath, seconds: 0 };
  }
  if (existsSync(registryPath) || existsSync(readingsPath)) throw new Error(`${o.dataDir} holds another registry; give an empty folder`);

  const now = o.now ?? Date.now();
  const rnd = generator(o.seed);
  const profiles = loadProfiles();
  const registry = openRegistry(registryPath);
  const readings = openSqliteReadings(readingsPath, { thread: false, synchronous: 'OFF' });
  const engine = new Engine({ registry, now: () => now });
  const a = registry.analytics;
  try {
    // Organisations, labs and their standards.
    const labs = ['ttkt-tdc', 'quatest-3-pt', 'kd-bac-binh'];
    const labOf = (district: number) => labs[district % labs.length]!;
    const authorities = ['chi-cuc-tdc', 'so-tnmt'];
    registry.upsertOrg({ id: 'chi-cuc-tdc', name: 'Chi cục Tiêu chuẩn Đo lường Chất lượng', kind: 'authority', district: DISTRICTS[0] });
    registry.upsertOrg({ id: 'so-tnmt', name: 'Sở Tài nguyên và Môi trường', kind: 'authority', district: DISTRICTS[0] });
    labs.forEach((lab, k) => registry.upsertOrg({ id: lab, name: `Tổ chức kiểm định ${k + 1}`, kind: 'lab', district: DISTRICTS[k * 3] }));
    let references = 0;
    for (const lab of labs) {
      for (const s of STANDARDS) {
        const calibratedOn = now - s.ageDays * DAY;
        a.upsertReference(
          {
            id: `REF-${lab}-${s.suffix}`,
            lab,
            quantity: s.quantity,
            unit: s.unit,
            nominal: s.nominal,
            value: s.value,
            U: s.U,
            k: 2,
            class: s.class,
            certificate: `CERT-${lab}-${s.suffix}`,
            calibratedOn,
            due: calibratedOn + s.validDays * DAY,
            parent: null,
          },
          now,
        );
        // Each lab's standards end at an accredited certificate (analytics/traceability.ts).
        registry.records.setAnchor(
          `REF-${lab}-${s.suffix}`,
          { kind: 'accredited_certificate', issuer: 'Viện Đo lường Việt Nam (VMI)', certificate: `VMI-${lab}-${s.suffix}`, date: calibratedOn },
          now,
        );
        references++;
      }
    }
    const enterprises = Array.from({ length: Math.max(1, Math.ceil(o.instruments / 20)) }, (_, k) => `dn-${String(k + 1).padStart(4, '0')}`);

    // Instruments, by enterprise: 20 each, kinds by share.
    const kindFor = (n: number): Kind => {
      let x = (n * 0.6180339887) % 1; // golden-ratio sequence: kinds spread evenly, not clustered by enterprise
      for (const k of KINDS) {
        if ((x -= k.share) < 0) return k;
      }
      return KINDS[0]!;
    };
    const instrumentIds: string[] = [];
    const plan: Array<{ id: string; org: string; lab: string; kind: Kind; offline: boolean }> = [];
    let unregistered = 0;
    const latest: Reading[] = [];
    registry.analytics.transaction(() => {
      enterprises.forEach((org, e) => {
        const district = e % DISTRICTS.length;
        const gateway = `gw-${org}`;
        const offline = e > 0 && rnd.uniform() < 0.02;
        registry.upsertOrg({ id: org, name: `Doanh nghiệp ${e + 1}, ${DISTRICTS[district]}`, kind: 'enterprise', district: DISTRICTS[district] });
        registry.upsertGateway({ id: gateway, org, name: `Cổng ${org}` });
        const lastSeen = offline ? now - (2 + Math.floor(rnd.uniform() * 10)) * DAY : now - 60_000;
        registry.setGatewayState(gateway, offline ? 'offline' : 'online', lastSeen, '0.1.0');
        for (let j = 0; j < 20 && instrumentIds.length < o.instruments; j++) {
          const n = instrumentIds.length;
          const kind = kindFor(n);
          const id = `${kind.prefix}-${String(n + 1).padStart(5, '0')}`;
          const profile = getProfile(profiles, kind.profile);
          registry.upsertInstrument({
            id,
            org,
            registration: 'registered',
            kind: kind.kind,
            name: `${kind.label} ${j + 1}`,
            serial: `SN-${2020000 + n}`,
            gateway,
            profile: kind.profile,
            site: `${DISTRICTS[district]}, điểm ${j + 1}`,
          });
          for (const p of profile.points) {
            if ((p.role ?? 'value') === 'status') continue;
            registry.ensureChannel(id, channelOf(p), p.unit);
            latest.push({ instrument: id, channel: channelOf(p), ts: lastSeen, value: p.sim?.value ?? kind.value, unit: p.unit, status: 'ok' });
          }
          if (kind.kind === 'env_station') {
            const medium = kind.prefix === 'AQ' ? 'air' : 'water';
            registry.stations.upsertStation({
              instrument: id,
              medium,
              latitude: 10.6 + rnd.uniform() * 0.8,
              longitude: 107.6 + rnd.uniform() * 0.9,
              intervalMs: 60_000,
              toleranceMs: 120_000,
              limitSet: DEFAULT_LIMIT_SET[medium],
            });
          }
          a.setService({ instrument: id, lab: labOf(district), intervalDays: null });
          a.setChannelMetrology({
            instrument: id,
            channel: kind.channel,
            tolerance: kind.tolerance,
            repeatability: kind.repeatability,
            analyser: kind.tolerance.model === 'analyser',
          });
          instrumentIds.push(id);
          plan.push({ id, org, lab: labOf(district), kind, offline });
        }
        if (rnd.uniform() < 0.1) {
          registry.ensureInstrument(org, `NEW-${org}-${unregistered + 1}`, gateway, now - DAY);
          unregistered++;
        }
      });
      registry.updateLatest(latest);
    });
    log(`registry: ${enterprises.length} enterprises, ${instrumentIds.length} instruments (${((Date.now() - started) / 1000).toFixed(1)} s)`);

    // Verifications, then checks (all calibrations first: each one settles live alerts).
    let calibrations = 0;
    let checks = 0;
    const scenario = plan.map(() => {
      const u = rnd.uniform();
      return u < 0.05 ? 'drifting' : u < 0.07 ? 'out_of_tolerance' : u < 0.1 ? 'overdue' : 'in_tolerance';
    });
    const verifiedAt = plan.map(
      (_, i) => now - (scenario[i] === 'overdue' ? 380 + Math.floor(rnd.uniform() * 40) : 30 + Math.floor(rnd.uniform() * 300)) * DAY,
    );
    const refOf = (p: (typeof plan)[number]) => (typeof p.kind.reference === 'string' ? STANDARDS.find((s) => s.suffix === p.kind.reference)! : null);
    a.transaction(() => {
      plan.forEach((p, i) => {
        const std = refOf(p);
        engine.recordCalibration(p.id, {
          type: 'verification',
          date: verifiedAt[i]!,
          lab: p.lab,
          certificate: `KĐ-${p.id}-${i}`,
          procedure: null,
          conditions: { temperatureC: 27, humidityPct: 72 },
          results: [
            {
              channel: p.kind.channel,
              unit: std?.unit ?? 'pH',
              nominal: std?.nominal ?? 7,
              reference: std?.value ?? 7,
              asFound: p.kind.repeatability,
              asLeft: 0,
              U: 2 * p.kind.repeatability,
            },
          ],
          references: std ? [`REF-${p.lab}-${std.suffix}`] : [],
          authorisedBy: `Kiểm định viên ${p.lab}`,
        });
        calibrations++;
      });
    });
    for (let start = 0; start < plan.length; start += 500) {
      a.transaction(() => {
        for (let i = start; i < Math.min(plan.length, start + 500); i++) {
          const p = plan[i]!;
          const std = refOf(p);
          const from = Math.max(verifiedAt[i]! + DAY, now - o.days * DAY);
          const span = now - DAY - from;
          const list: Check[] = [];
          for (let c = 0; c < o.checksPerInstrument && span > 0; c++) {
            const ts = Math.round(from + (span * (c + 1)) / (o.checksPerInstrument + 1));
            let error = rnd.normal() * p.kind.repeatability;
            if (scenario[i] === 'drifting') error += (p.kind.repeatability * 0.6 * (ts - verifiedAt[i]!)) / (30 * DAY);
            if (scenario[i] === 'out_of_tolerance' && c === o.checksPerInstrument - 1) error += p.kind.repeatability * 40;
            const refValue = std ? std.value : (p.kind.reference as { value: number }).value;
            const base = { instrument: p.id, channel: p.kind.channel, ts, indicated: Math.round((refValue + error) * 1e6) / 1e6 };
            list.push(
              std
                ? { ...base, reference: `REF-${p.lab}-${std.suffix}` }
                : { ...base, referenceValue: refValue, referenceU: (p.kind.reference as { U: number }).U },
            );
          }
          if (list.length > 0) checks += engine.submitChecks({ checks: list, source: 'api', by: 'large-province-seed' }).stored.length;
        }
      });
    }
    engine.evaluatePeriodic();
    log(`metrology: ${calibrations} verifications, ${checks} checks (${((Date.now() - started) / 1000).toFixed(1)} s)`);

    // Users with known passwords.
    const logins: LargeProvinceLogin[] = [
      { role: 'admin', username: 'admin', password: PASSWORD('admin'), org: null },
      { role: 'authority', username: 'authority', password: PASSWORD('authority'), org: 'chi-cuc-tdc' },
      { role: 'lab', username: 'lab', password: PASSWORD('lab'), org: labs[0]! },
      { role: 'enterprise', username: 'enterprise', password: PASSWORD('enterprise'), org: enterprises[0]! },
    ];
    for (const l of logins) await registry.identity.createUser({ id: l.username, name: l.username, role: l.role, org: l.org, password: l.password });

    // Readings: months of the primary channel of the first instruments.
    const every = o.readingEveryMinutes * 60_000;
    const to = Math.floor(now / every) * every;
    const from = to - o.days * DAY;
    const withReadings = plan.slice(0, o.readingInstruments).map((p) => ({ id: p.id, org: p.org, channel: p.kind.channel }));
    let stored = 0;
    for (const w of withReadings) {
      const kind = plan.find((p) => p.id === w.id)!.kind;
      const unit = getProfile(profiles, kind.profile).points.find((p) => channelOf(p) === w.channel)!.unit;
      const batch: StoredReading[] = [];
      for (let ts = from; ts < to; ts += every) {
        const daily = Math.sin((2 * Math.PI * ((ts + 7 * 3_600_000) % DAY)) / DAY);
        const value = Math.max(0, kind.value + kind.noise * (0.5 * daily + 0.5 * rnd.normal()));
        batch.push({ org: w.org, instrument: w.id, channel: w.channel, ts, value: Math.round(value * 1000) / 1000, unit, status: 'ok' });
      }
      await readings.write(batch);
      stored += batch.length;
    }
    log(`readings: ${stored} for ${withReadings.length} instruments (${((Date.now() - started) / 1000).toFixed(1)} s)`);

    const province: LargeProvince = {
      registryPath,
      readingsPath,
      logins,
      instrumentIds,
      withReadings,
      orgs: { enterprises, labs, authorities },
      from,
      to,
      counts: {
        orgs: enterprises.length + labs.length + authorities.length,
        gateways: enterprises.length,
        instruments: instrumentIds.length,
        unregistered,
        references,
        checks,
        calibrations,
        readings: stored,
      },
      seconds: Math.round((Date.now() - started) / 100) / 10,
    };
    writeFileSync(manifestPath, JSON.stringify({ key, province }));
    return province;
  } finally {
    await readings.close();
    registry.close();
  }
}
