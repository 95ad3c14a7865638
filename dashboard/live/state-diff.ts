import type { InstrumentStateRow } from '../states.js';

/** A state as the `states` event carries it. */
export interface StateEvent {
  id: string;
  state: InstrumentStateRow['state'];
  online: boolean;
  openAlerts: number;
}

const signature = (s: InstrumentStateRow) => `${s.state}|${s.online}|${s.openAlerts}`;
const event = (s: InstrumentStateRow): StateEvent => ({ id: s.id, state: s.state, online: s.online, openAlerts: s.openAlerts });

/** What one listener was last sent per instrument, so that only states that changed for it are sent again. */
export class StateDiff {
  private readonly sent = new Map<string, string>();

  /** Every row (the opening event of a stream), remembered. */
  all(rows: InstrumentStateRow[]): StateEvent[] {
    for (const s of rows) this.sent.set(s.id, signature(s));
    return rows.map(event);
  }

  /** The rows that differ from what this listener was last sent, remembered. */
  changed(rows: InstrumentStateRow[]): StateEvent[] {
    const out: StateEvent[] = [];
    for (const s of rows) {
      const sig = signature(s);
      if (this.sent.get(s.id) !== sig) out.push(event(s));
      this.sent.set(s.id, sig);
    }
    return out;
  }
}
