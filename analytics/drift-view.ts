import type { DriftChannel, DriftView, EngineParts } from './engine-types.js';
import { dueState, intervalBasisOf, intervalLengthDays } from './due.js';
import { intervalAdvice, withholdLengthening } from './interval.js';
import { CHECK_STAGE, mpeFor } from './tolerance.js';

/** GET …/drift: every channel with checks since the last calibration, evaluated from the store. */
export function driftView(e: Pick<EngineParts, 'registry' | 'store' | 'states' | 'schedule' | 'now'>, instrumentId: string): DriftView {
  const inst = e.registry.getInstrument(instrumentId)!;
  const cal = e.store.lastCalibration(inst.id);
  const channels: DriftChannel[] = [];
  for (const ch of e.registry.listChannels(inst.id)) {
    const all = e.store.listChecks({ instrument: inst.id, channel: ch.channel, from: cal?.date ?? 0, limit: 1_000_000 });
    if (all.length === 0) continue;
    const state = e.states.build(inst, ch.channel);
    const last = all[all.length - 1]!;
    // Fractions of the MPE (channel.ts `Normalised`): the MPE at each load checked, for the chart to divide by.
    const tol = state.settings.tolerance;
    const mpeByLoad =
      state.evaluation.normalised === 'mpe-fraction' && tol
        ? [...new Set(all.map((c) => c.referenceValue))].sort((a, b) => a - b).map((load) => ({ load, mpe: mpeFor(tol, load, CHECK_STAGE) }))
        : undefined;
    channels.push({
      channel: ch.channel,
      ...state.evaluation,
      untraceable: all.filter((c) => !c.traceable).length,
      underReview: all.filter((c) => c.review !== null).length,
      unfit: all.filter((c) => c.fitness !== null).length,
      traceability: { lastCheckTraceable: last.traceable, reason: last.traceReason ?? last.review, fitness: last.fitness },
      ...(mpeByLoad ? { mpeByLoad } : {}),
    });
  }
  const due = e.schedule.nextDue(inst);
  const records = e.store.listCalibrations(inst.id);
  const history = records.map((c) => ({
    asFoundFraction: Math.max(0, ...c.results.filter((r) => r.mpe).map((r) => Math.abs(r.asFound) / r.mpe!)),
  }));
  const dueNow = dueState(due, e.now(), e.schedule.leadDays(inst.org));
  const holds = [
    channels.some((c) => c.conformity?.decision === 'fail') ? 'out of tolerance' : null,
    channels.some((c) => c.trend?.predictedTs != null && c.trend.significantForAlert && (due === null || c.trend.predictedTs < due))
      ? 'predicted out of tolerance before the due date'
      : null,
    dueNow === 'overdue' ? 'overdue' : null,
    records.at(-1)?.result === 'fail' ? 'the last record failed' : null,
  ].filter((h): h is string => h !== null);
  return {
    instrument: inst.id,
    lab: e.store.getService(inst.id)?.lab ?? null,
    lastCalibration: cal?.date ?? null,
    nextDue: due,
    dueState: dueNow,
    interval: intervalBasisOf(inst.kind, e.store.getService(inst.id)?.intervalDays),
    intervalAdvice: withholdLengthening(intervalAdvice(intervalLengthDays(e.schedule.interval(inst) ?? { months: 12 }), history), holds),
    channels,
  };
}
