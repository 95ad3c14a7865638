import type { SerialParserName } from '../core/index.js';

/** What the simulated scale shows. */
export interface ScaleState {
  weight: number;
  tare?: number;
  unit: string;
  stable: boolean;
  overload?: boolean;
}

const pad = (n: number, width: number) =>
  String(Math.round(Math.abs(n)))
    .padStart(width, '0')
    .slice(-width);

/**
 * Frames as the indicators send them; the gateway's parsers (gateway/serial/parsers.ts) read them
 * back. Kept separate from the parsers on purpose: a test where both sides share one bug proves
 * nothing, so these are written from the manuals' examples, not from the parser code.
 */
export function formatFrame(format: SerialParserName, s: ScaleState, decimals: number, opts: { checksum?: boolean } = {}): Buffer {
  const value = s.weight.toFixed(decimals);
  switch (format) {
    case 'ad': {
      // "ST,GS,+00123.0kg": header, gross, signed 8-character value, unit (A&D "standard format").
      const head = s.overload ? 'OL' : s.stable ? 'ST' : 'US';
      const signed = `${s.weight < 0 ? '-' : '+'}${Math.abs(s.weight).toFixed(decimals).padStart(8, '0')}`;
      return Buffer.from(`${head},GS,${signed}${s.unit.padStart(2, ' ')}\r\n`, 'latin1');
    }
    case 'mt-sics': {
      if (s.overload) return Buffer.from('S +\r\n', 'latin1');
      return Buffer.from(`S ${s.stable ? 'S' : 'D'} ${value.padStart(10, ' ')} ${s.unit}\r\n`, 'latin1');
    }
    case 'toledo': {
      const swa = 0x20 | ({ 0: 2, 1: 3, 2: 4, 3: 5, 4: 6 } as Record<number, number>)[decimals]! | (1 << 3); // increment size 1
      const swb = 0x20 | (s.weight < 0 ? 2 : 0) | (s.overload ? 4 : 0) | (s.stable ? 0 : 8) | (s.unit === 'kg' ? 0x10 : 0);
      const swc = 0x20;
      const body = Buffer.from([2, swa, swb, swc, ...Buffer.from(pad(s.weight * 10 ** decimals, 6) + pad((s.tare ?? 0) * 10 ** decimals, 6), 'latin1'), 13]);
      if (!opts.checksum) return body;
      const sum = body.reduce((a, b) => a + b, 0);
      return Buffer.concat([body, Buffer.from([(128 - (sum & 0x7f)) & 0x7f])]);
    }
    case 'yaohua-a12': {
      const body = Buffer.from(`${s.weight < 0 ? '-' : '+'}${pad(s.weight * 10 ** decimals, 6)}${decimals}`, 'latin1');
      const x = body.reduce((a, b) => a ^ b, 0);
      return Buffer.concat([Buffer.from([2]), body, Buffer.from([0x30 + (x >> 4), 0x30 + (x & 15), 3])]);
    }
    case 'yaohua-reversed': {
      // The display "0003.000" sent reversed after "=": "=000.3000".
      const shown = `${s.weight < 0 ? '-' : ''}${Math.abs(s.weight)
        .toFixed(decimals)
        .padStart(8 - (s.weight < 0 ? 1 : 0), '0')}`;
      return Buffer.from(`=${[...shown].reverse().join('')}`, 'latin1');
    }
    case 'pattern':
      return Buffer.from(`${s.stable ? 'ST' : 'US'} ${value} ${s.unit}\r\n`, 'latin1');
  }
}
