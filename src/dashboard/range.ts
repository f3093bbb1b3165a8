// The dashboard's periods: whole UTC days, as admin_credit_stats reads them as of the last refresh.
// ?days=N is today and the N-1 days before; ?from=YYYY-MM-DD&to=YYYY-MM-DD the days from `from` to
// `to`, both included. The result is the half-open range [from, to) of their midnights.
const DAY_MS = 86_400_000;
// admin_credit_stats' limit, "3 years", which PostgreSQL compares as 36 months of 30 days
const MAX_DAYS = 1080;

function utcDay(text: string, name: string): Date {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) throw new Error(`${name} must be a day, YYYY-MM-DD, got ${JSON.stringify(text)}`);
  const day = new Date(`${text}T00:00:00Z`);
  if (Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== text) throw new Error(`${name} is not a calendar day: ${text}`);
  return day;
}

export function dashboardRange(params: URLSearchParams, now: Date): { from: Date; to: Date } {
  const from = params.get('from');
  const to = params.get('to');
  if (from !== null || to !== null) {
    if (from === null || to === null) throw new Error('from and to go together: ?from=YYYY-MM-DD&to=YYYY-MM-DD');
    const first = utcDay(from, 'from');
    const end = new Date(utcDay(to, 'to').getTime() + DAY_MS);
    if (end <= first) throw new Error(`to (${to}) is before from (${from})`);
    if ((end.getTime() - first.getTime()) / DAY_MS > MAX_DAYS) throw new Error(`a range is at most ${MAX_DAYS} days`);
    return { from: first, to: end };
  }
  const text = params.get('days') ?? '30';
  const days = /^\d{1,4}$/.test(text) ? Number(text) : NaN;
  if (!(days >= 1 && days <= MAX_DAYS)) throw new Error(`days must be a whole number from 1 to ${MAX_DAYS}, got ${JSON.stringify(text)}`);
  const end = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) + DAY_MS;
  return { from: new Date(end - days * DAY_MS), to: new Date(end) };
}
