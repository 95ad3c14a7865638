/** CSV as a spreadsheet reads it back: what report tests compare cell by cell. */

/** RFC 4180 rows (quoted fields with commas, doubled quotes). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  const s = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quoted) {
      if (c === '"' && s[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(cell), (cell = '');
    else if (c === '\r' && s[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows;
}

/** The first columns of the inventory report in Vietnamese: place codes and names, the pre-2025 district, organisation, instrument. */
export const INVENTORY_HEAD_VI = [
  'Mã tỉnh',
  'Tỉnh, thành phố',
  'Mã xã',
  'Xã, phường, đặc khu',
  'Quận, huyện (trước 01/07/2025)',
  'Mã tổ chức',
  'Tổ chức',
  'Mã phương tiện đo',
];
