// The range of the admin document a request asks for, the one reading of it (the page's
// stats.json and the deprecated adminCreditStatsRoute). The result is the half-open range
// [from, to) that admin_credit_stats takes.
//   ?days=N                     today and the N-1 days before, as whole UTC days (default 30)
//   ?from=YYYY-MM-DD&to=…       UTC days, both included
//   ?from=<ISO instant>&to=…    exact instants (2026-11-01T00:00:00Z), `to` excluded
// A bound may be left out: `to` is then now (the end of today for a day), `from` 30 days before `to`.
const DAY_MS = 86_400_000;
// admin_credit_stats' limit, "3 years", which PostgreSQL compares as 36 months of 30 days
const MAX_DAYS = 1080;
const DEFAULT_DAYS = 30;

/** A bound: a UTC day (its midnight, or the next one for an inclusive end) or an exact instant. */
function bound(text: string, name: 'from' | 'to'): Date {
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    const day = new Date(`${text}T00:00:00Z`);
    if (Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== text) throw new Error(`${name} is not a calendar day: ${text}`);
    return name === 'to' ? new Date(day.getTime() + DAY_MS) : day;
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) {
    const instant = new Date(text);
    if (!Number.isNaN(instant.getTime())) return instant;
  }
  throw new Error(`${name} must be a day (YYYY-MM-DD) or an instant with its zone (2026-11-01T00:00:00Z), got ${JSON.stringify(text)}`);
}

export function dashboardRange(params: URLSearchParams, now: Date): { from: Date; to: Date } {
  const from = params.get('from');
  const to = params.get('to');
  if (from !== null || to !== null) {
    const end = to === null ? now : bound(to, 'to');
    const first = from === null ? new Date(end.getTime() - DEFAULT_DAYS * DAY_MS) : bound(from, 'from');
    if (end <= first) throw new Error(`to (${to ?? 'now'}) is before from (${from})`);
    if ((end.getTime() - first.getTime()) / DAY_MS > MAX_DAYS) throw new Error(`a range is at most ${MAX_DAYS} days`);
    return { from: first, to: end };
  }
  const text = params.get('days') ?? String(DEFAULT_DAYS);
  const days = /^\d{1,4}$/.test(text) ? Number(text) : NaN;
  if (!(days >= 1 && days <= MAX_DAYS)) throw new Error(`days must be a whole number from 1 to ${MAX_DAYS}, got ${JSON.stringify(text)}`);
  const end = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) + DAY_MS;
  return { from: new Date(end - days * DAY_MS), to: new Date(end) };
}
