import { Type, type Static } from '@sinclair/typebox';
import { MetronetError, type Issue } from './errors.js';
import { READING_STATUSES, type ReadingStatus } from './payloads.js';
import { StringEnum } from './ids.js';
import { isUnit } from './units.js';

/**
 * The text files automatic monitoring stations transmit (Circular 10/2021/TT-BTNMT, following
 * Circular 24/2017/TT-BTNMT and guidance 5417/BTNMT-TCMT of 2016): one file per measurement time,
 * one line per parameter with parameter, value, unit, time and device status.
 *
 * THE EXACT LAYOUT IS NOT CONFIRMED against the official annex: the defaults below are what
 * secondary sources and datalogger vendors describe — tab-separated, time as local (UTC+7)
 * `YYYYMMDDhhmmss`, status `00` measuring / `01` calibrating / `02` device error, file name
 * `{province}_{facility}_{station}_{time}.txt`. Every part is a template field, so a province
 * whose files differ changes configuration, not code.
 *
 * Worked example (defaults, a record at 2026-01-05 08:00 ICT = 01:00 UTC):
 *   file  BT_SOTNMT_AQPT01_20260105080000.txt
 *   line  so2\t41.5\tug/m3\t20260105080000\t00
 */
export const FILE_COLUMNS = ['parameter', 'value', 'unit', 'time', 'status'] as const;
export type FileColumn = (typeof FILE_COLUMNS)[number];

export const StationFileTemplate = Type.Object(
  {
    separator: Type.String({ minLength: 1, maxLength: 4, default: '\t', description: 'column separator' }),
    columns: Type.Array(StringEnum(FILE_COLUMNS), { minItems: 5, maxItems: 5, default: [...FILE_COLUMNS], description: 'column order' }),
    utcOffsetMinutes: Type.Integer({ minimum: -720, maximum: 840, default: 420, description: 'time zone of the time column; Vietnam is UTC+7' }),
    statusCodes: Type.Record(Type.String(), StringEnum(READING_STATUSES), {
      default: { '00': 'ok', '01': 'check', '02': 'fault' },
      description: 'device status code → metronet status; export uses the first code of each status',
    }),
    fileName: Type.String({ default: '{province}_{facility}_{station}_{time}.txt', description: 'placeholders {province} {facility} {station} {time}' }),
    parameters: Type.Record(Type.String(), Type.String(), {
      default: {},
      description: 'file parameter name → channel, when they differ (e.g. "PM-2-5": pm25)',
    }),
  },
  { additionalProperties: false, default: {} },
);
export type StationFileTemplate = Static<typeof StationFileTemplate>;

export const DEFAULT_FILE_TEMPLATE: StationFileTemplate = {
  separator: '\t',
  columns: [...FILE_COLUMNS],
  utcOffsetMinutes: 420,
  statusCodes: { '00': 'ok', '01': 'check', '02': 'fault' },
  fileName: '{province}_{facility}_{station}_{time}.txt',
  parameters: {},
};

export interface StationRecord {
  channel: string;
  value: number;
  unit: string;
  ts: number;
  status: ReadingStatus;
}

export function withTemplateDefaults(t: Partial<StationFileTemplate> = {}): StationFileTemplate {
  return { ...DEFAULT_FILE_TEMPLATE, ...t };
}

/** `YYYYMMDDhhmmss` in the template's zone. Sub-second parts are not representable and are dropped. */
export function formatFileTime(ts: number, offsetMinutes: number): string {
  return new Date(ts + offsetMinutes * 60_000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

export function parseFileTime(text: string, offsetMinutes: number): number | null {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text.trim());
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const t = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(t);
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return null;
  return t - offsetMinutes * 60_000;
}

/**
 * One file per measurement time, lines in channel order. Statuses without a code in the template
 * (e.g. maintenance) are written with the code of `fault`, the nearest a datalogger can say.
 */
export function formatStationFiles(
  records: readonly StationRecord[],
  names: { province: string; facility: string; station: string },
  template: Partial<StationFileTemplate> = {},
): Array<{ name: string; text: string }> {
  const t = withTemplateDefaults(template);
  const codeOf = new Map<string, string>();
  for (const [code, status] of Object.entries(t.statusCodes)) if (!codeOf.has(status)) codeOf.set(status, code);
  const paramOf = new Map(Object.entries(t.parameters).map(([file, channel]) => [channel, file]));
  const byTs = new Map<number, StationRecord[]>();
  for (const r of records) (byTs.get(r.ts) ?? byTs.set(r.ts, []).get(r.ts)!).push(r);
  return [...byTs.keys()]
    .sort((a, b) => a - b)
    .map((ts) => {
      const time = formatFileTime(ts, t.utcOffsetMinutes);
      const lines = byTs
        .get(ts)!
        .sort((a, b) => a.channel.localeCompare(b.channel))
        .map((r) => {
          const cells: Record<FileColumn, string> = {
            parameter: paramOf.get(r.channel) ?? r.channel,
            value: String(r.value),
            unit: r.unit,
            time,
            status: codeOf.get(r.status) ?? codeOf.get('fault') ?? r.status,
          };
          return t.columns.map((c) => cells[c]).join(t.separator);
        });
      const name = t.fileName
        .replace('{province}', names.province)
        .replace('{facility}', names.facility)
        .replace('{station}', names.station)
        .replace('{time}', time);
      return { name, text: `${lines.join('\r\n')}\r\n` };
    });
}

/** Parses one file; lines that break the template are returned as issues naming file and line, the rest are kept. */
export function parseStationFile(text: string, fileName: string, template: Partial<StationFileTemplate> = {}): { records: StationRecord[]; issues: Issue[] } {
  const t = withTemplateDefaults(template);
  const records: StationRecord[] = [];
  const issues: Issue[] = [];
  const col = (name: FileColumn) => t.columns.indexOf(name);
  text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .forEach((raw, i) => {
      const line = raw.trim();
      if (line === '') return;
      const cells = line.split(t.separator).map((c) => c.trim());
      const where = `${fileName}:${i + 1}`;
      const bad = (field: FileColumn, value: unknown, message: string) =>
        issues.push({ code: 'E_EXCHANGE_FORMAT', field: `${where} ${field}`, value, message: `${where}: ${message}` });
      if (cells.length < t.columns.length)
        return void bad(
          'parameter',
          line.slice(0, 80),
          `expected ${t.columns.length} columns separated by ${JSON.stringify(t.separator)}, got ${cells.length}`,
        );
      const param = cells[col('parameter')]!;
      const value = Number(cells[col('value')]!.replace(',', '.'));
      const unit = cells[col('unit')]!;
      const ts = parseFileTime(cells[col('time')]!, t.utcOffsetMinutes);
      const status = t.statusCodes[cells[col('status')]!];
      if (!Number.isFinite(value) || cells[col('value')] === '') return void bad('value', cells[col('value')], 'value is not a number');
      if (!isUnit(unit)) return void bad('unit', unit, `unit "${unit}" is not a known code`);
      if (ts === null) return void bad('time', cells[col('time')], 'time is not YYYYMMDDhhmmss');
      if (status === undefined) return void bad('status', cells[col('status')], `status code not in the template (${Object.keys(t.statusCodes).join(', ')})`);
      records.push({ channel: t.parameters[param] ?? param, value, unit, ts, status });
    });
  return { records, issues };
}

export function mustParseStationFile(text: string, fileName: string, template?: Partial<StationFileTemplate>): StationRecord[] {
  const { records, issues } = parseStationFile(text, fileName, template);
  if (issues.length) throw new MetronetError('E_EXCHANGE_FORMAT', issues.map((i) => i.message).join('; '), issues);
  return records;
}
