/** Types of the Vietnamese interface texts, for the server modules that reuse them (dashboard/reports/labels.ts). */
declare const texts: Readonly<Record<string, string>>;
export default texts;
