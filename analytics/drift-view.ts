import type { DriftChannel, DriftView, EngineParts } from './engine-types.js';
import { dueState } from './due.js';
import { intervalAdvice } from './interval.js';

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
    channels.push({
      channel: ch.channel,
      ...state.evaluation,
      untraceable: all.filter((c) => !c.traceable).length,
      underReview: all.filter((c) => c.review !== null).length,
      traceability: { lastCheckTraceable: last.traceable, reason: last.traceReason ?? last.review },
    });
  }
  const due = e.schedule.nextDue(inst);
  const history = e.store.listCalibrations(inst.id).map((c) => ({
    asFoundFraction: Math.max(0, ...c.results.filter((r) => r.mpe).map((r) => Math.abs(r.asFound) / r.mpe!)),
  }));
  return {
    instrument: inst.id,
    lab: e.store.getService(inst.id)?.lab ?? null,
    lastCalibration: cal?.date ?? null,
    nextDue: due,
    dueState: dueState(due, e.now(), e.schedule.leadDays(inst.org)),
    intervalAdvice: intervalAdvice(e.schedule.intervalDays(inst) ?? 365, history),
    channels,
  };
}
