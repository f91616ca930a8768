/**
 * Renders rows as a kubectl-style table: columns left-aligned, separated by three spaces,
 * the last column never padded (so lines carry no trailing blanks).
 *
 * Example:
 * ```ts
 * renderTable(['NAME', 'AGE'], [['bert', '5m']]);
 * // 'NAME   AGE\nbert   5m\n'
 * ```
 */
export function renderTable(headers: string[], rows: string[][]): string {
  const widths = columnWidths([headers, ...rows]);
  return [headers, ...rows].map((row) => formatRow(row, widths)).join('\n') + '\n';
}

/** The width of each column over all rows (at least the header's). */
export function columnWidths(rows: string[][]): number[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, displayWidth(cell)); });
  }
  return widths;
}

/** One row padded to `widths` (used by `get -w` to keep later rows under the first table's columns). */
export function formatRow(row: string[], widths: number[]): string {
  return row
    .map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(Math.max(0, (widths[i] ?? 0) - displayWidth(cell)))))
    .join('   ')
    .trimEnd();
}

/** Code points, not UTF-16 units, so `≥` or `×` take one column. */
function displayWidth(text: string): number {
  return [...text].length;
}
