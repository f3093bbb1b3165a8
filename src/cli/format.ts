// Plain-text tables for the terminal: a header, aligned columns, numbers to the right.
const utcTimestamp = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$/;

/**
 * Rows as aligned columns. With maxWidth, the last column (put the long text there) is cut with
 * "…" so that every line fits, keeping at least 20 of its characters.
 */
/** "1 task", "2 tasks": a count with its noun. */
export const plural = (n: number | bigint, one: string, many = `${one}s`): string => `${n} ${n === 1 || n === 1n ? one : many}`;

export function formatTable(rows: Record<string, unknown>[], options: { maxWidth?: number } = {}): string {
  if (rows.length === 0) return '(none)';
  const columns = Object.keys(rows[0]!);
  // A timestamp (the typed client's UTC ISO string, or a Date from plain SQL) to the second.
  const cell = (v: unknown) =>
    v instanceof Date
      ? v.toISOString().slice(0, 19).replace('T', ' ')
      : typeof v === 'string' && utcTimestamp.test(v)
        ? v.slice(0, 19).replace('T', ' ')
        : v === null || v === undefined
          ? ''
          : String(v);
  const numeric = columns.map((c) => rows.every((r) => typeof r[c] === 'number' || r[c] === null || /^-?\d+(\.\d+)?%?$/.test(cell(r[c]))));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  if (options.maxWidth !== undefined) {
    const last = columns.length - 1;
    const room = Math.max(20, options.maxWidth - widths.slice(0, last).reduce((sum, w) => sum + w + 2, 0));
    if (widths[last]! > room) {
      const cut = (text: string) => (text.length > room ? `${text.slice(0, room - 1)}…` : text);
      return formatTable(
        rows.map((r) => ({ ...r, [columns[last]!]: cut(cell(r[columns[last]!])) })),
        {},
      );
    }
  }
  const line = (values: string[]) =>
    values
      .map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join('\n');
}

/** A progress line on a terminal (rewritten in place), a line per update elsewhere. */
export function progress(label: string): (done: number, total: number) => void {
  let last = -1;
  return (done, total) => {
    const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
    if (percent === last && done !== total) return;
    last = percent;
    const text = `${label}: ${done}/${total} (${percent}%)`;
    if (process.stderr.isTTY) process.stderr.write(`\r${text}${done >= total ? '\n' : ''}`);
    else process.stderr.write(`${text}\n`);
  };
}

/** One record, vertically: a key per line, values aligned. */
export function formatRecord(record: Record<string, unknown>): string {
  const width = Math.max(...Object.keys(record).map((k) => k.length));
  const value = (v: unknown) => (v instanceof Date ? v.toISOString() : v === null || v === undefined ? '' : String(v));
  return Object.entries(record)
    .map(([k, v]) => `${k.padEnd(width)}  ${value(v)}`.trimEnd())
    .join('\n');
}
