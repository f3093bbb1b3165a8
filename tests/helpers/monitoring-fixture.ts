// The monitoring views' fixture: a small hand-built platform whose figures the tests of
// tests/monitoring/ and tests/public/admin_credit_stats.test.ts computed by hand. Block A sits at
// fixed dates in June/July 2026 (the period views); block B is recent (the views over the last 7
// or 30 days, and today's health). Each file loads it into its own clone: it takes ~0.2 s, about
// what a clone does, so a fixture template cloned per file would not be worth its machinery.
import { createTestDatabase, type TestDatabase } from './db.js';
import type { Sql } from './ledger.js';

const U = (n: number) => `00000000-0000-0000-0000-0000000000${n.toString(16).padStart(2, '0')}`;
export const [A, B, C, D, E, F, G] = [U(0xa1), U(0xa2), U(0xa3), U(0xa4), U(0xa5), U(0xa6), U(0xa7)] as const;

export interface TaskSpec {
  user: string;
  at: string; // SQL timestamptz expression
  provider: string;
  model: string;
  type: string;
  credits: number;
  status: 'completed' | 'failed' | 'processing' | 'pending';
  cost?: number | null; // null: completed without a known cost
  latencySeconds?: number; // submitted at `at`, finished at + latency; undefined: never submitted
  source?: string;
  error?: string;
}

/** A task, its usage row and (when failed) its refund, as the functions would have left them. */
export async function addTask(sql: Sql, t: TaskSpec) {
  const finished = t.status === 'completed' || t.status === 'failed';
  const finishAt = t.latencySeconds === undefined ? `${t.at}` : `${t.at} + interval '${t.latencySeconds} seconds'`;
  await sql.unsafe(`
    with task as (
      insert into enhancement_tasks (user_id, task_type, provider, model, status, credits_used, provider_cost_usd,
                                     failure_source, error_message, created_at, submitted_at, updated_at, completed_at)
      values ('${t.user}', '${t.type}', '${t.provider}', '${t.model}', '${t.status}', ${t.credits},
              ${t.status === 'completed' ? (t.cost === null ? 'null' : (t.cost ?? 0)) : t.status === 'failed' ? 0 : 'null'},
              ${t.source ? `'${t.source}'` : 'null'}, ${t.error ? `'${t.error}'` : 'null'},
              ${t.at}, ${t.latencySeconds === undefined ? 'null' : t.at}, ${finishAt}, ${finished ? finishAt : 'null'})
      returning id, created_at, completed_at
    ), usage as (
      insert into credit_transactions (user_id, amount, type, task_id, created_at)
      select '${t.user}', -${t.credits}, 'usage', id, created_at from task
    )
    insert into credit_transactions (user_id, amount, type, task_id, created_at)
    select '${t.user}', ${t.credits}, 'refund', id, completed_at from task where ${t.status === 'failed'}`);
}

export async function addTasks(sql: Sql, count: number, spec: (i: number) => TaskSpec) {
  for (let i = 0; i < count; i++) await addTask(sql, spec(i));
}

/** Accounts with enough credits for users A to G; the balances are not what these tests look at. */
async function addAccounts(sql: Sql) {
  for (const user of [A, B, C, D, E, F, G]) {
    await sql`insert into user_credits (user_id, credits, purchased_credits) values (${user}, 0, 0)`;
  }
}

/** The June fixture, block A and block B, rolled up by a full refresh (into an empty platform's database). */
export async function loadJuneFixture(sql: Sql) {
  const june1 = (s: number) => `'2026-06-01 10:00:00+00'::timestamptz + interval '${s} seconds'`;
  const june2 = (s: number) => `'2026-06-02 10:00:00+00'::timestamptz + interval '${s} seconds'`;
  const ws = { provider: 'wavespeed', model: 'nb', type: 'enhance' };
  // June 1: wavespeed 18 completed (2 credits, $0.04; users A and B), 2 failed (user C)
  await addTasks(sql, 18, (i) => ({
    ...ws,
    user: i % 2 ? B : A,
    at: june1(i),
    credits: 2,
    status: 'completed',
    cost: 0.04,
    latencySeconds: 10,
  }));
  await addTask(sql, {
    ...ws,
    user: C,
    at: june1(100),
    credits: 2,
    status: 'failed',
    source: 'callback',
    error: 'content filter job 8f3a9c21',
  });
  await addTask(sql, { ...ws, user: C, at: june1(101), credits: 2, status: 'failed', source: 'api_error', error: 'bad input 123' });
  // June 1: nanobanana 19 completed (5 credits, $0.10) and 1 timeout, all user D
  const nb = { provider: 'nanobanana', model: 'nx', type: 'upscale' };
  await addTasks(sql, 19, (i) => ({
    ...nb,
    user: D,
    at: june1(200 + i),
    credits: 5,
    status: 'completed',
    cost: 0.1,
    latencySeconds: 10,
  }));
  await addTask(sql, {
    ...nb,
    user: D,
    at: june1(300),
    credits: 5,
    status: 'failed',
    source: 'timeout',
    error: 'no result after 30 minutes',
  });
  // June 2: wavespeed 19 completed (1 credit, $0.05; A 10, E 9) and 1 failed (E): exactly 95 % and 5 %
  await addTasks(sql, 19, (i) => ({
    ...ws,
    user: i < 10 ? A : E,
    at: june2(i),
    credits: 1,
    status: 'completed',
    cost: 0.05,
    latencySeconds: 10,
  }));
  await addTask(sql, {
    ...ws,
    user: E,
    at: june2(50),
    credits: 1,
    status: 'failed',
    source: 'callback',
    error: 'content filter job 77c1d2e4',
  });
  // June 8 (the next Monday): 2 tasks still pending (user F). July 1: one completed (user A).
  await addTasks(sql, 2, (i) => ({
    ...ws,
    user: F,
    at: `'2026-06-08 09:00:00+00'::timestamptz + interval '${i} seconds'`,
    credits: 1,
    status: 'pending',
  }));
  await addTask(sql, {
    ...ws,
    user: A,
    at: `'2026-07-01 09:00:00+00'::timestamptz`,
    credits: 2,
    status: 'completed',
    cost: 0.04,
    latencySeconds: 5,
  });

  // Block B, two days ago: fastgen f1, 10 completed with latencies 1..10 s ($0.01);
  // f2, 5 completed at 20 s ($0.05) and 5 failed before submission.
  const recent = (s: number) => `now() - interval '2 days' + interval '${s} seconds'`;
  const fg = { provider: 'fastgen', type: 'enhance', user: G };
  await addTasks(sql, 10, (i) => ({
    ...fg,
    model: 'f1',
    at: recent(i),
    credits: 1,
    status: 'completed',
    cost: 0.01,
    latencySeconds: i + 1,
  }));
  await addTasks(sql, 5, (i) => ({
    ...fg,
    model: 'f2',
    at: recent(100 + i),
    credits: 1,
    status: 'completed',
    cost: 0.05,
    latencySeconds: 20,
  }));
  await addTasks(sql, 5, (i) => ({
    ...fg,
    model: 'f2',
    at: recent(200 + i),
    credits: 1,
    status: 'failed',
    source: 'api_error',
    error: 'quota',
  }));
  // Today: 3 completed and 1 failed (3 credits each), and one task stuck in processing for 2 hours.
  await addTasks(sql, 3, (i) => ({
    ...fg,
    model: 'f1',
    at: today(i + 1),
    credits: 3,
    status: 'completed',
    cost: 0.01,
    latencySeconds: 0,
  }));
  await addTask(sql, { ...fg, model: 'f1', at: today(5), credits: 3, status: 'failed', source: 'callback', error: 'nsfw' });
  await addTask(sql, { ...fg, model: 'f3', at: `now() - interval '2 days'`, credits: 2, status: 'processing', latencySeconds: 0 });
  await sql`update enhancement_tasks set updated_at = now() - interval '2 hours' where model = 'f3'`;
  await sql`update credit_transactions set created_at = now() - interval '2 days'
             where task_id = (select id from enhancement_tasks where model = 'f3')`;
  // Rows written with past timestamps (a bulk load) are found by a full refresh only.
  await sql`select * from monitoring.refresh_rollups(true)`;
}

/** A moment of today (UTC) before now: `tenths` tenths of the way from midnight to now. */
function today(tenths: number) {
  return `date_trunc('day', now() at time zone 'UTC') at time zone 'UTC' + (now() - (date_trunc('day', now() at time zone 'UTC') at time zone 'UTC')) * ${tenths / 10}`;
}

/** The unpriced completions' addition, August 3: wsx on wavespeed, user A: 3 completed at $0.04,
 *  1 completed with no cost known, 1 failed (costs nothing); then a full refresh. */
export async function addUnpricedAugust(sql: Sql) {
  const aug3 = (s: number) => `'2026-08-03 10:00:00+00'::timestamptz + interval '${s} seconds'`;
  const wsx = { provider: 'wavespeed', model: 'wsx', type: 'enhance', user: A, credits: 1 };
  await addTasks(sql, 3, (i) => ({ ...wsx, at: aug3(i), status: 'completed', cost: 0.04, latencySeconds: 10 }));
  await addTask(sql, { ...wsx, at: aug3(10), status: 'completed', cost: null, latencySeconds: 10 });
  await addTask(sql, { ...wsx, at: aug3(20), status: 'failed', source: 'callback', error: 'nsfw' });
  await sql`select * from monitoring.refresh_rollups(true)`;
}

/** After addUnpricedAugust: one more fastgen f1 success today with no cost known; then a full
 *  refresh (platform_health reads today as of the refresh). */
export async function addUnpricedToday(sql: Sql) {
  await addTask(sql, {
    provider: 'fastgen',
    model: 'f1',
    type: 'enhance',
    user: G,
    credits: 3,
    status: 'completed',
    cost: null,
    latencySeconds: 0,
    at: today(6),
  });
  await sql`select * from monitoring.refresh_rollups(true)`;
}

export interface MonitoringDatabase extends TestDatabase {
  /** The first row of `query`. */
  one<T = Record<string, unknown>>(query: string): Promise<T>;
  /** The rows of `query`, as plain objects. */
  all(query: string): Promise<Record<string, unknown>[]>;
}

function withQueries(db: TestDatabase): MonitoringDatabase {
  return {
    ...db,
    one: async <T = Record<string, unknown>>(query: string) => (await db.sql.unsafe(query))[0] as T,
    all: (query: string) => db.sql.unsafe(query).then((rows) => rows.map((r) => ({ ...r }))),
  };
}

/** The empty platform: a clone of the migrated template with the fixture's accounts, no task yet. */
export async function emptyPlatformDatabase(): Promise<MonitoringDatabase> {
  const db = await createTestDatabase({ max: 2 });
  await addAccounts(db.sql);
  return withQueries(db);
}

/** The empty platform with the June fixture loaded. */
export async function juneDatabase(): Promise<MonitoringDatabase> {
  const db = await emptyPlatformDatabase();
  await loadJuneFixture(db.sql);
  return db;
}
