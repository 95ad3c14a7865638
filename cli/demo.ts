import { connect } from 'mqtt';
import type { Check, GatewayConfig, Profile, Service } from '../core/index.js';
import { channelOf, DEFAULT_LIMIT_SET, getProfile, topics } from '../core/index.js';
import { startSimulator, startStationCycle, type PointSim, type SimulatorHandle } from '../simulators/index.js';
import type { ReadingsStore, Registry, StoredReading } from '../store/types.js';
import { DEMO_HISTORY, DEMO_LAB, DEMO_STANDARDS, type DemoProvince, type DemoScale, type DemoStation } from './province.js';
import { Engine } from '../analytics/engine.js';
import type { Writer } from '../analytics/authority.js';

/**
 * Registers the province's organisations, gateways, instruments and channels, then its
 * metrology history (standards, verifications, months of checks) — idempotent.
 */
export function seedRegistry(registry: Registry, province: DemoProvince, profiles: Map<string, Profile>): void {
  seedInstruments(registry, province, profiles);
  // Through an engine on the same registry: the alerts the history raises are stored like any
  // other; the running analytics service evaluates the time-based ones once seeding is done.
  seedAnalyticsHistory(registry, new Engine({ registry }));
}

function seedInstruments(registry: Registry, province: DemoProvince, profiles: Map<string, Profile>): void {
  for (const org of province.orgs) registry.upsertOrg(org);
  for (const site of province.sites) {
    registry.upsertGateway({ id: site.gateway, org: site.org, name: site.site });
    for (const inst of site.instruments) {
      const profile = getProfile(profiles, inst.profile);
      registry.upsertInstrument({
        id: inst.id,
        org: site.org,
        registration: 'registered',
        kind: inst.kind,
        name: inst.name,
        serial: inst.serial,
        gateway: site.gateway,
        profile: inst.profile,
        site: site.site,
        province: site.province,
        commune: site.commune,
      });
      for (const p of profile.points) {
        if ((p.role ?? 'value') !== 'status') registry.ensureChannel(inst.id, channelOf(p), p.unit);
      }
      if (inst.station) seedStation(registry, inst.id, inst.station);
    }
  }
}

/** Station facts, and the analyser settings of its gas channels (EPA drift rule) unless set. */
function seedStation(registry: Registry, id: string, st: DemoStation): void {
  registry.stations.upsertStation({
    instrument: id,
    medium: st.medium,
    latitude: st.latitude,
    longitude: st.longitude,
    intervalMs: st.intervalMs,
    toleranceMs: st.toleranceMs,
    limitSet: DEFAULT_LIMIT_SET[st.medium],
  });
  for (const g of st.gases ?? []) {
    if (registry.analytics.getChannelMetrology(id, g.channel)) continue;
    registry.analytics.setChannelMetrology({
      instrument: id,
      channel: g.channel,
      tolerance: { model: 'analyser', span: g.span / 0.8, gas: g.channel },
      repeatability: g.spanU / 4,
      analyser: true,
    });
  }
}

const HOUR = 3_600_000;
const CAL_AT_MINUTE = 30; // 00:30 ICT daily zero/span cycle, 20 minutes
const CAL_MS = 20 * 60_000;

/**
 * The last 48 h of every station's records, once per data folder, so that completeness, the
 * calendar-day averages (today's so far, or yesterday's while today has none valid) and the
 * episode show at start: one record per parameter per interval around the profile's
 * simulated value, `check` during the 00:30 ICT calibration, one 10-minute fault and one
 * 30-minute gap (missing records), and the episode's levels over its last hours.
 */
export async function seedStationHistory(
  registry: Registry,
  readings: ReadingsStore,
  province: DemoProvince,
  profiles: Map<string, Profile>,
  now = Date.now(),
): Promise<void> {
  for (const site of province.sites) {
    for (const inst of site.instruments) {
      const st = inst.station;
      if (!st || (await readings.count(inst.id)) > 0) continue;
      const profile = getProfile(profiles, inst.profile);
      const points = profile.points.filter((p) => (p.role ?? 'value') !== 'status');
      let seed = inst.id.split('').reduce((a, c) => a * 31 + c.charCodeAt(0), 7) >>> 0;
      const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
      const out: StoredReading[] = [];
      const first = Math.ceil((now - 48 * HOUR) / st.intervalMs) * st.intervalMs;
      const faultAt = now - 7 * HOUR;
      const gapAt = now - 15 * HOUR;
      for (let ts = first; ts < now; ts += st.intervalMs) {
        if (ts >= gapAt && ts < gapAt + 30 * 60_000) continue;
        const local = (ts + 7 * HOUR) % (24 * HOUR);
        const calibrating = local >= CAL_AT_MINUTE * 60_000 && local < CAL_AT_MINUTE * 60_000 + CAL_MS;
        const fault = ts >= faultAt && ts < faultAt + 10 * 60_000;
        const inEpisode = st.episode && ts >= now - st.episode.hours * HOUR;
        for (const p of points) {
          const sim = p.sim ?? { value: 0 };
          const ch = channelOf(p);
          let v = inEpisode && st.episode!.levels[ch] !== undefined ? st.episode!.levels[ch]! : sim.value;
          v += (sim.noise ?? 0) * rnd() + (sim.dailyAmplitude ?? 0) * Math.sin(2 * Math.PI * (local / (24 * HOUR) - 8 / 24));
          if (sim.min !== undefined) v = Math.max(sim.min, v);
          if (sim.max !== undefined) v = Math.min(sim.max, v);
          out.push({
            org: site.org,
            instrument: inst.id,
            channel: ch,
            ts,
            value: Math.round(v * 1000) / 1000,
            unit: p.unit,
            status: fault ? 'fault' : calibrating ? 'check' : 'ok',
          });
        }
      }
      for (let i = 0; i < out.length; i += 5000) await readings.write(out.slice(i, i + 5000));
      registry.updateLatest(out);
    }
  }
}

/**
 * The datalogger's calibration report, published as the station gateway would: checks with the
 * gas's own reference value and uncertainty on `metronet/v1/{org}/{gateway}/checks`, with the
 * gateway's MQTT identity (read when the report is due, so credentials set later are used).
 */
async function publishChecks(gw: GatewayConfig, checks: Check[]): Promise<void> {
  const client = connect(gw.mqtt.url, {
    username: gw.mqtt.username,
    password: gw.mqtt.password,
    clientId: `${gw.id}-calibration`,
    reconnectPeriod: 0,
    connectTimeout: 5000,
  });
  try {
    await new Promise<void>((resolve, reject) => (client.once('connect', () => resolve()), client.once('error', reject)));
    await client.publishAsync(topics.checks(gw.org, gw.id), JSON.stringify({ v: 1, gateway: gw.id, checks }), { qos: 1 });
  } finally {
    await client.endAsync();
  }
}

/**
 * A scale's simulated indicator (weighing-indicator profiles): its load and tare, its division e
 * and capacity Max as parameters, gross and net shown in steps of d.
 */
export function scalePoints(s: DemoScale): Record<string, PointSim> {
  return {
    gross: { value: s.load, noise: s.noise, step: s.d },
    net: { value: s.load - s.tare, noise: s.noise, step: s.d },
    division: { value: s.e },
    capacity: { value: s.max },
  };
}

/** Starts one Modbus TCP simulator per instrument and returns the gateway configs that poll them. */
export async function startProvinceDevices(
  province: DemoProvince,
  profiles: Map<string, Profile>,
  opts: { seed?: number; pollMs?: number; publishMs?: number } = {},
): Promise<{ gateways: GatewayConfig[]; services: Service[]; simulators: Map<string, SimulatorHandle> }> {
  const services: Service[] = [];
  const simulators = new Map<string, SimulatorHandle>();
  const gateways: GatewayConfig[] = [];
  let n = 0;
  try {
    for (const site of province.sites) {
      const devices: GatewayConfig['devices'] = [];
      for (const inst of site.instruments) {
        const sim = await startSimulator({
          profile: getProfile(profiles, inst.profile),
          port: 0,
          seed: (opts.seed ?? 996) + n++,
          drift: inst.driftPerDay ? { kind: 'linear', perDay: inst.driftPerDay } : undefined,
          points: inst.scale ? scalePoints(inst.scale) : undefined,
        });
        services.push(sim);
        simulators.set(inst.id, sim);
        if (inst.station) {
          const st = inst.station;
          const start = Date.now();
          const gw = () => gateways.find((g) => g.id === site.gateway)!;
          const cycle = startStationCycle({
            sim,
            instrument: inst.id,
            seed: n,
            calibration: st.gases ? { atMinute: CAL_AT_MINUTE, durationMs: CAL_MS, gases: st.gases.map((g) => ({ ...g, zero: 0 })) } : undefined,
            // About one fault and one gap a day each, a few minutes long (1 s ticks).
            faults: { chancePerTick: 1 / 86_400, durationMs: 5 * 60_000 },
            gaps: { chancePerTick: 1 / 86_400, durationMs: 4 * st.intervalMs },
            episodes: st.episode ? [{ from: start, to: start + HOUR, levels: st.episode.levels }] : [],
            onChecks: (checks) => void publishChecks(gw(), checks).catch(() => undefined),
          });
          services.push({ close: async () => cycle.stop() });
        }
        devices.push({
          name: inst.id.toLowerCase(),
          instrument: inst.id,
          profile: inst.profile,
          transport: { kind: 'modbus-tcp', host: '127.0.0.1', port: sim.port, unitId: 1, timeoutMs: 1000 },
          pollMs: opts.pollMs ?? inst.station?.intervalMs ?? 1000,
        });
      }
      gateways.push({ id: site.gateway, org: site.org, mqtt: { url: 'mqtt://127.0.0.1:1883' }, publishMs: opts.publishMs ?? 1000, maxBatch: 1000, devices });
    }
  } catch (err) {
    for (const s of services.reverse()) await s.close();
    throw err;
  }
  return { gateways, services, simulators };
}

/**
 * Seeds months of check and calibration history through the analytics engine (the path API
 * checks take), once per data folder: standards, the lab's service, verifications and checks.
 */
export function seedAnalyticsHistory(registry: Registry, engine: Engine, now = Date.now(), seed = 996): void {
  const a = registry.analytics;
  const day = 86_400_000;
  // Roots end at their accredited certificates (ILAC P10), also in a data folder seeded before anchors existed.
  const anchorRoots = () => {
    for (const s of DEMO_STANDARDS) {
      if (s.anchor && a.getReference(s.id) && !registry.records.anchor(s.id))
        registry.records.setAnchor(s.id, { ...s.anchor, date: now - s.calibratedDaysAgo * day }, now);
    }
  };
  anchorRoots();
  if (a.listCalibrations(DEMO_HISTORY[0]!.instrument).length > 0) return; // seeded on an earlier start
  for (const s of DEMO_STANDARDS) {
    const calibratedOn = now - s.calibratedDaysAgo * day;
    a.upsertReference({
      id: s.id,
      lab: DEMO_LAB,
      quantity: s.quantity,
      unit: s.unit,
      nominal: s.nominal,
      value: s.value,
      U: s.U,
      k: 2,
      class: s.class,
      certificate: `CERT-${s.id}`,
      calibratedOn,
      due: calibratedOn + s.validDays * day,
      parent: s.parent,
    });
  }
  anchorRoots();
  let rnd = seed;
  const noise = () => {
    // Deterministic standard normal (Box–Muller on a small LCG): the demo looks the same every time.
    rnd = (rnd * 1103515245 + 12345) % 2 ** 31;
    const u1 = (rnd + 1) / (2 ** 31 + 1);
    rnd = (rnd * 1103515245 + 12345) % 2 ** 31;
    const u2 = rnd / 2 ** 31;
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  };
  for (const h of DEMO_HISTORY) {
    if (!registry.getInstrument(h.instrument)) continue;
    a.setService({ instrument: h.instrument, lab: DEMO_LAB, intervalDays: null });
    a.setChannelMetrology({
      instrument: h.instrument,
      channel: h.channel,
      tolerance: h.tolerance,
      repeatability: h.repeatability,
      analyser: h.analyser ?? false,
    });
    const std = DEMO_STANDARDS.find((s) => s.id === h.reference)!;
    const verified = now - h.verifiedDaysAgo * day;
    const goodRef =
      DEMO_STANDARDS.find(
        (s) => s.quantity === std.quantity && s.nominal === std.nominal && s.calibratedDaysAgo + 0 < s.validDays && s.id !== 'REF-M1-20KG-B',
      ) ?? std;
    engine.recordCalibration(h.instrument, {
      type: 'verification',
      date: verified,
      certificate: `KĐ-${new Date(verified).getUTCFullYear()}-${h.instrument}`,
      procedure: h.tolerance.model === 'oiml-r117' ? 'ĐLVN 10:2017' : h.tolerance.model === 'oiml-r76' ? 'ĐLVN 16:2009' : 'QCVN 41:2011/BTNMT',
      conditions: { temperatureC: 27, humidityPct: 72 },
      results: [
        { channel: h.channel, unit: std.unit, nominal: std.nominal, reference: goodRef.value, asFound: h.repeatability, asLeft: 0, U: 2 * h.repeatability },
      ],
      references: [goodRef.id],
      authorisedBy: 'Trần Thị Lan (trưởng phòng kiểm định)',
    });
    // Check indications finer than d: the lab finds the error by the change-point method with
    // 0.1 e weights (OIML R76-2 A.4.4.3) or reads the indicator's extended resolution, as
    // verifications do; the live readings are the ones shown in steps of d.
    const checks = [];
    for (let d = h.everyDays; d <= h.verifiedDaysAgo - 1; d += h.everyDays) {
      const ts = verified + d * day;
      let error = noise() * h.repeatability;
      if (h.scenario === 'drifting') error += (h.driftPerDay ?? 0) * d;
      checks.push({ instrument: h.instrument, channel: h.channel, ts, reference: h.reference, indicated: std.value + error });
    }
    if (h.scenario === 'out_of_tolerance' && checks.length > 0) checks[checks.length - 1]!.indicated = std.value + (h.finalError ?? 0);
    if (h.scenario === 'expired_standard') {
      // Good checks with the valid 20 kg weight, then one against the expired spare weight.
      const last = checks.pop()!;
      for (const c of checks) c.reference = 'REF-M1-20KG';
      checks.push(last);
    }
    engine.submitChecks({ checks: checks.map((c) => ({ ...c, indicated: Math.round(c.indicated * 1e6) / 1e6 })), source: 'api', by: 'demo-seed' });
  }
  seedRecordHistory(registry, engine, now);
}

/**
 * The legal records a province sees in its first session (docs/legal-records.md): the lab's
 * designation, a multi-load check, a certificate corrected by a superseding one, a failed
 * verification and a broken seal waiting for its verification.
 */
function seedRecordHistory(registry: Registry, engine: Engine, now: number): void {
  const day = 86_400_000;
  const lab: Writer = { role: 'lab', org: DEMO_LAB, user: 'kiemdinh' };
  registry.records.createDesignation(
    {
      lab: DEMO_LAB,
      decision: '45/QĐ-TĐC',
      kinds: ['scale', 'fuel_dispenser', 'env_station'],
      ranges: 'cân cấp chính xác III đến 5 000 kg; cột đo xăng dầu; trạm quan trắc không khí',
      validFrom: now - 700 * day,
      validUntil: now + 1000 * day,
    },
    'chi-cuc-tdc',
    now - 700 * day,
  );
  // A multi-load check of a market scale: three loads at one instant, each its own check.
  if (registry.getInstrument('SC-0004')) {
    const ts = now - 2 * day;
    const loads = [
      ['REF-M1-5KG', 5.0001],
      ['REF-M1-10KG', 10.0002],
      ['REF-M1-20KG', 20.0005],
    ] as const;
    engine.submitChecks({
      checks: loads.map(([reference, indicated]) => ({ instrument: 'SC-0004', channel: 'gross', ts, reference, indicated })),
      source: 'api',
      by: 'demo-seed',
    });
  }
  // A certificate entered with the wrong date, corrected by the lab with a superseding one.
  if (registry.getInstrument('SC-0002')) {
    const verified = now - 90 * day;
    const wrong = registry.analytics.getCalibrationByCertificate(`KĐ-${new Date(verified).getUTCFullYear()}-SC-0002`);
    if (wrong) {
      const point = { channel: 'gross', unit: 'kg', nominal: 20, reference: 20.0003, asFound: 0.002, asLeft: 0, U: 0.004 };
      engine.supersedeRecord(
        wrong.id,
        lab,
        {
          input: { type: 'verification', date: verified + day, certificate: `${wrong.certificate}-R1`, results: [point], references: ['REF-M1-20KG'] },
          content: { stamp: 'TEM-2026-004512', seals: ['KC-118204'] },
        },
        'ngày kiểm định ghi sai trên giấy chứng nhận (the verification date was entered wrongly)',
      );
    }
  }
  // A fuel dispenser that failed its re-verification last week: not permitted in use.
  if (registry.getInstrument('FD-0002')) {
    engine.recordCalibration('FD-0002', {
      type: 'verification',
      date: now - 6 * day,
      certificate: 'BB-KĐ-FD-0002-KĐ',
      procedure: 'ĐLVN 10:2017',
      results: [{ channel: 'n1_last_delivery', unit: 'L', nominal: 20, reference: 20, asFound: 0.31, U: 0.01 }],
      references: ['REF-TM-20L'],
      authorisedBy: 'Trần Thị Lan (trưởng phòng kiểm định)',
    });
  }
  // A broken seal on another dispenser (nozzle repair), not yet followed by a verification.
  if (registry.getInstrument('FD-0003')) {
    registry.records.addSealEvent(
      {
        instrument: 'FD-0003',
        event: 'break',
        at: now - 9 * day,
        seals: ['KC-097731'],
        reason: 'thay bộ đếm cơ khí',
        by: 'chopt',
        byOrg: registry.getInstrument('FD-0003')!.org,
        calibration: null,
      },
      now - 9 * day,
    );
  }
}
