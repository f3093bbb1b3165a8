// A production-sized history for the monitoring benchmark: by default 100k users and 2M
// generations over 180 days (about 4.1M ledger rows), three providers and six models, about 4 %
// failures (each refunded), latencies from seconds to minutes, costs from the price table.
// The rows are generated here and streamed through COPY, tasks and ledger side by side, their
// indexes rebuilt after (./bulk-load.ts): tens of millions of rows in minutes. The ledger is
// written in created_at order, as a live ledger's rows are (its created_at index is a BRIN,
// which a ledger written out of order would defeat). Deterministic: task k is always the same
// task, and every id is an md5 PostgreSQL would compute too: md5('scale-task-' || k)::uuid for
// task k, md5('scale-usage-' || k)::uuid for its charge, and so on.
// Rows are written the way the functions would leave them, so that every invariant holds
// afterwards (verify_ledger() is empty).
import { hash } from 'node:crypto';
import type postgres from 'postgres';
import { bulkLoad } from './bulk-load.js';

export interface ScaleOptions {
  users: number;
  tasks: number;
  days: number;
  /** Generations between two progress reports (100,000). */
  chunk?: number;
  onProgress?: (step: string, done: number, total: number) => void;
}

export const defaultScale: ScaleOptions = { users: 100_000, tasks: 2_000_000, days: 180 };

const models = [
  { provider: 'wavespeed', model: 'nano-banana', cost: '0.039', taskType: 'enhance' },
  { provider: 'wavespeed', model: 'nano-banana-pro', cost: '0.139', taskType: 'upscale' },
  { provider: 'wavespeed', model: 'seedream-v4', cost: '0.027', taskType: 'remove-background' },
  { provider: 'nanobanana', model: 'nano-banana', cost: '0.035', taskType: 'enhance' },
  { provider: 'nanobanana', model: 'nano-banana-edit', cost: '0.045', taskType: 'enhance' },
  { provider: 'fal', model: 'flux-dev', cost: '0.025', taskType: 'upscale' },
] as const;
const tiers = ['free', 'free', 'free', 'free', 'free', 'basic', 'basic', 'basic', 'pro', 'pro'] as const;
const failureSources = ['callback', 'api_error', 'timeout'] as const;

// What the COPY rows give; the columns left out take their defaults (origin 'rpc', metadata '{}').
const taskColumns = [
  'id',
  'user_id',
  'task_type',
  'provider',
  'model',
  'status',
  'credits_used',
  'external_task_id',
  'error_message',
  'failure_source',
  'result_url',
  'provider_cost_usd',
  'created_at',
  'submitted_at',
  'updated_at',
  'completed_at',
];
const ledgerColumns = [
  'id',
  'user_id',
  'amount',
  'monthly_amount',
  'type',
  'description',
  'task_id',
  'provider',
  'created_at',
  'period_start',
];

/** Generations per round of writes: small enough that both COPY connections stay busy. */
const batch = 2_000;
const second = 1_000_000; // timestamps are microseconds since the epoch
const day = 86_400 * second;

/**
 * A ledger row, its columns in ledgerColumns' order: ids as md5 hex, the user as its number i
 * ('scale-user-' || i), times in microseconds (period: its month's first).
 */
interface LedgerRow {
  id: string;
  user: number;
  amount: number;
  monthly: number;
  type: string;
  description: string | null;
  task: string | null;
  provider: string | null;
  at: number;
  period: number | null;
}

/** The rows the accounts get at one instant: credit packs, a month's allocation or its expiry. */
interface AccountStep {
  at: number;
  row: (user: number) => LedgerRow | null;
}

export async function loadScaleHistory(sql: postgres.Sql, options: ScaleOptions): Promise<void> {
  const { users, tasks, days } = options;
  const chunk = options.chunk ?? 100_000;
  const progress = options.onProgress ?? (() => {});
  const months = Math.ceil(days / 30) + 1;

  const { now, allowances } = await sql.begin(async (tx) => {
    await tx`
      insert into provider_prices (provider, model, cost_usd, effective_from)
      select p, m, c, now() - interval '1 year'
        from unnest(${models.map((m) => m.provider)}::text[], ${models.map((m) => m.model)}::text[], ${models.map((m) => m.cost)}::numeric[]) as x(p, m, c)
      on conflict do nothing`;
    await tx`
      insert into user_credits (user_id, tier, credits, monthly_credits, purchased_credits, monthly_allowance, period_start, last_allocation_at, created_at)
      select md5('scale-user-' || i)::uuid, t.tier, 0, 0, 0, t.monthly_allowance,
             date_trunc('month', now() at time zone 'UTC')::date, date_trunc('month', now() at time zone 'UTC') at time zone 'UTC',
             now() - make_interval(days => ${days})
        from generate_series(1, ${users}::int) i
        join credit_tiers t on t.tier = (${tiers}::text[])[1 + i % 10]`;
    // the transaction's now(): the instant the whole history is written against
    const [clock] = await tx<{ now: number }[]>`select (extract(epoch from now()) * 1000000)::float8 as now`;
    const rows = await tx<{ tier: string; monthly_allowance: number }[]>`select tier, monthly_allowance from credit_tiers`;
    return { now: clock!.now, allowances: new Map(rows.map((r) => [r.tier, r.monthly_allowance])) };
  });
  progress('accounts', users, users);

  // ids as md5 hex, which COPY's writer prints as uuids (and uuid input takes as they are)
  const userIds = Array.from({ length: users }, (_, n) => md5(`scale-user-${n + 1}`));
  const allowance = (user: number) => allowances.get(tiers[user % 10]!) ?? 0;

  // Credit packs: one at sign-up, up to 13 more spread over the history; a pack of 1,000, or more
  // when each account generates more (5 credits a generation: every balance stays positive
  // however long the history). Then each past month's allowance, allocated and expired, and this
  // month's, allocated: only the current month's allowance is left unspent.
  const pack = Math.max(1000, Math.ceil((tasks * 5) / users));
  const steps: AccountStep[] = [];
  for (let p = 0; p < 14; p++) {
    const at = now - days * day + Math.round((p * days * day) / 15);
    const row = (i: number) => {
      if (i % 14 < p) return null;
      const id = md5(`scale-purchase-${i}-${p}`);
      return {
        id,
        user: i,
        amount: pack,
        monthly: 0,
        type: 'purchase',
        description: 'credit pack',
        task: null,
        provider: null,
        at,
        period: null,
      };
    };
    steps.push({ at, row });
  }
  for (let k = 0; k < months; k++) {
    const at = monthStart(now, -k);
    const date = new Date(at / 1000).toISOString().slice(0, 10);
    const month = (type: string, sign: number) => (i: number) => {
      const credits = sign * allowance(i);
      if (credits === 0) return null;
      const id = md5(`scale-${type}-${i}-${date}`);
      return { id, user: i, amount: credits, monthly: credits, type, description: type, task: null, provider: null, at, period: at };
    };
    steps.push({ at, row: month('allocation', 1) });
    // the allowance of the month before expires as this one starts
    if (k < months - 1) steps.push({ at, row: month('expiration', -1) });
  }
  steps.sort((a, b) => a.at - b.at);

  // Task k's creation: spread over the history, most recent last, a little jitter (up to 96 s).
  const createdAt = (k: number) => now - Math.round((((tasks - k) / tasks) * days * 86_400 + (k % 97)) * second);
  const recent = now - 20 * 60 * second;
  const periodOf = monthOfDay();
  const balances = new Float64Array(users + 1); // by user number, as the ledger is written

  await bulkLoad(
    sql,
    [
      { table: 'enhancement_tasks', columns: taskColumns },
      { table: 'credit_transactions', columns: ledgerColumns },
    ],
    async (out, ledger) => {
      const write = (r: LedgerRow) => {
        balances[r.user]! += r.amount;
        const owner = userIds[r.user - 1]!;
        ledger.uuid(r.id).uuid(owner).int(r.amount).int(r.monthly).text(r.type).text(r.description).uuid(r.task).text(r.provider);
        ledger.time(r.at).date(r.period).endRow();
      };
      const writeStep = (step: AccountStep) => {
        for (let i = 1; i <= users; i++) {
          const r = step.row(i);
          if (r !== null) write(r);
        }
      };
      // Charges and refunds wait here until no later generation can precede them.
      let pending: LedgerRow[] = [];
      let nextStep = 0;
      const writeLedgerUntil = (horizon: number) => {
        pending.sort((a, b) => a.at - b.at);
        let n = 0;
        for (; n < pending.length && pending[n]!.at < horizon; n++) {
          for (; nextStep < steps.length && steps[nextStep]!.at <= pending[n]!.at; nextStep++) writeStep(steps[nextStep]!);
          write(pending[n]!);
        }
        for (; nextStep < steps.length && steps[nextStep]!.at < horizon; nextStep++) writeStep(steps[nextStep]!);
        pending = pending.slice(n);
      };

      for (let from = 1; from <= tasks; from += batch) {
        const to = Math.min(tasks, from + batch - 1);
        for (let k = from; k <= to; k++) {
          const id = md5(`scale-task-${k}`);
          const user = 1 + ((k * 7919) % users);
          const owner = userIds[user - 1]!;
          const m = models[((k * 31) % 97) % 6]!;
          const credits = 1 + (k % 5);
          const at = createdAt(k);
          const inFlight = k % 1000 === 7;
          const failed = !inFlight && (k % 100 < 4 || (k % 211 === 3 && m.model === 'nano-banana-edit'));
          const processing = inFlight && at > recent;
          const status = failed ? 'failed' : processing ? 'processing' : 'completed';
          const error = failed ? errorMessage(k) : null;
          // a failure's source: a third each, by the id's hash
          const source = failed ? failureSources[Number.parseInt(id.slice(24), 16) % 3]! : null;
          const cost = failed ? '0' : m.cost;
          // seconds to result: mostly 5-40 s, a tail to minutes
          const done = at + (5 + (k % 35) + (k % 20 === 0 ? k % 240 : 0)) * second;
          const submitted = at + second;
          const completed = processing ? null : done;
          out.uuid(id).uuid(owner).text(m.taskType).text(m.provider).text(m.model).text(status).int(credits).uuid(id, 'job-');
          const result = failed ? null : id;
          out.text(error).text(source).uuid(result, 'https://cdn.example/', '.png').text(cost);
          out.time(at).time(submitted).time(done).time(completed).endRow();

          const usage: LedgerRow = {
            id: md5(`scale-usage-${k}`),
            user,
            amount: -credits,
            monthly: 0,
            type: 'usage',
            description: null,
            task: id,
            provider: m.provider,
            at,
            period: periodOf(at),
          };
          pending.push(usage);
          if (failed) pending.push({ ...usage, id: md5(`scale-refund-${k}`), amount: credits, type: 'refund', at: done });
        }
        // the next generation's jitter is under 97 s: nothing to come is older than this
        if (to < tasks) writeLedgerUntil(createdAt(to + 1) - 97 * second);
        await Promise.all([out.flush(), ledger.flush()]);
        if (to === tasks || Math.floor(to / chunk) > Math.floor((from - 1) / chunk)) progress('generations', to, tasks);
      }
      writeLedgerUntil(Number.POSITIVE_INFINITY);
    },
  );

  // Balances from the ledger as written: the current allowance is monthly, the rest purchased.
  await sql`
    update user_credits u
       set credits = b.total, monthly_credits = u.monthly_allowance, purchased_credits = b.total - u.monthly_allowance
      from unnest(${userIds}::uuid[], ${Array.from(balances.subarray(1), String)}::bigint[]) as b(user_id, total)
     where b.user_id = u.user_id`;
  await sql`analyze`;
  progress('balances', users, users);
}

function errorMessage(k: number): string {
  switch (k % 4) {
    case 0:
      return 'generation failed: content filter';
    case 1:
      return `provider error 500 (job ${md5(String(k)).slice(0, 12)})`;
    case 2:
      return 'upstream timeout after 120s';
    default:
      return 'invalid input image';
  }
}

const md5 = (s: string) => hash('md5', s);

/** The first instant (microseconds) of the UTC month `months` after that of `us`. */
function monthStart(us: number, months = 0): number {
  const d = new Date(us / 1000);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, 1) * 1000;
}

/** monthStart, its result kept for the day asked last (generations come in time order). */
function monthOfDay(): (us: number) => number {
  let cached = Number.NaN;
  let start = 0;
  return (us) => {
    const d = Math.floor(us / day);
    if (d !== cached) [cached, start] = [d, monthStart(us)];
    return start;
  };
}
