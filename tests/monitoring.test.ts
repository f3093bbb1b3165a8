// The monitoring views and admin_credit_stats on a small hand-built fixture, against figures
// computed by hand (in the comments), including the thresholds' edges, empty periods and
// divisions by zero. Block A sits at fixed dates in June/July 2026 (the period views); block B
// is recent (the views over the last 7 or 30 days, and today's health).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/db.js';
import type { Sql } from './helpers/ledger.js';

const U = (n: number) => `00000000-0000-0000-0000-0000000000${n.toString(16).padStart(2, '0')}`;
const [A, B, C, D, E, F, G] = [U(0xa1), U(0xa2), U(0xa3), U(0xa4), U(0xa5), U(0xa6), U(0xa7)] as const;

interface TaskSpec {
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
async function addTask(sql: Sql, t: TaskSpec) {
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

async function addTasks(sql: Sql, count: number, spec: (i: number) => TaskSpec) {
  for (let i = 0; i < count; i++) await addTask(sql, spec(i));
}

/** Runs `work` as `role` in a transaction that is always rolled back; returns what it returned. */
async function asRole<T>(role: string, work: (tx: Sql) => Promise<T>): Promise<T> {
  let result: T | undefined;
  const rollback = new Error('rollback');
  await db.sql
    .begin(async (tx) => {
      await tx.unsafe(`set local role ${role}`);
      result = await work(tx as unknown as Sql);
      throw rollback;
    })
    .catch((e) => {
      if (e !== rollback) throw e;
    });
  return result!;
}

/** The SQLSTATE a statement fails with (inside a savepoint, so the transaction goes on), or 'ok'. */
async function denied(tx: Sql, query: string): Promise<string> {
  await tx`savepoint probe`;
  try {
    await tx.unsafe(query);
    await tx`release savepoint probe`;
    return 'ok';
  } catch (error) {
    await tx`rollback to savepoint probe`;
    return (error as { code: string }).code;
  }
}

let db: TestDatabase;
const one = async <T = Record<string, unknown>>(query: string) => (await db.sql.unsafe(query))[0] as T;
const all = (query: string) => db.sql.unsafe(query).then((rows) => rows.map((r) => ({ ...r })));

beforeAll(async () => {
  db = await createTestDatabase({ max: 2 });
  // Accounts with enough credits; the balances are not what these tests look at.
  for (const user of [A, B, C, D, E, F, G]) {
    await db.sql`insert into user_credits (user_id, credits, purchased_credits) values (${user}, 0, 0)`;
  }
});
afterAll(() => db.drop());

describe('monitoring, on an empty platform', () => {
  it('reports no data, not an alert or a division by zero, on an empty platform', async () => {
    await db.sql`select * from monitoring.refresh_rollups()`;
    expect(
      await one(`select success_rate, success_status, refund_rate, refund_status, failures, stuck_tasks, unpriced, cost_coverage,
                             cost_status, status from monitoring.platform_health`),
    ).toEqual({
      success_rate: null,
      success_status: 'no_data',
      refund_rate: null,
      refund_status: 'no_data',
      failures: 0,
      stuck_tasks: 0,
      unpriced: 0,
      cost_coverage: null,
      cost_status: 'no_data',
      status: 'ok',
    });
    expect(await all(`select * from monitoring.summary`)).toEqual([]);
    const stats = await one<{ s: { totals: Record<string, unknown>; success_rate: unknown; providers: unknown[] } }>(
      `select admin_credit_stats() s`,
    );
    expect(stats.s.totals).toMatchObject({ generations: 0, provider_cost_usd: '0.000000' });
    expect(stats.s.success_rate).toBeNull();
    expect(stats.s.providers).toEqual([]);
    expect((stats.s as Record<string, unknown>).pricing).toEqual({ complete: true, unpriced: 0, coverage: null, unpriced_models: [] });
  });
});

describe('monitoring, on the June fixture', () => {
  // Setup, not a test: the fixture every test below reads.
  beforeAll(async () => {
    const june1 = (s: number) => `'2026-06-01 10:00:00+00'::timestamptz + interval '${s} seconds'`;
    const june2 = (s: number) => `'2026-06-02 10:00:00+00'::timestamptz + interval '${s} seconds'`;
    const ws = { provider: 'wavespeed', model: 'nb', type: 'enhance' };
    // June 1: wavespeed 18 completed (2 credits, $0.04; users A and B), 2 failed (user C)
    await addTasks(db.sql, 18, (i) => ({
      ...ws,
      user: i % 2 ? B : A,
      at: june1(i),
      credits: 2,
      status: 'completed',
      cost: 0.04,
      latencySeconds: 10,
    }));
    await addTask(db.sql, {
      ...ws,
      user: C,
      at: june1(100),
      credits: 2,
      status: 'failed',
      source: 'callback',
      error: 'content filter job 8f3a9c21',
    });
    await addTask(db.sql, { ...ws, user: C, at: june1(101), credits: 2, status: 'failed', source: 'api_error', error: 'bad input 123' });
    // June 1: nanobanana 19 completed (5 credits, $0.10) and 1 timeout, all user D
    const nb = { provider: 'nanobanana', model: 'nx', type: 'upscale' };
    await addTasks(db.sql, 19, (i) => ({
      ...nb,
      user: D,
      at: june1(200 + i),
      credits: 5,
      status: 'completed',
      cost: 0.1,
      latencySeconds: 10,
    }));
    await addTask(db.sql, {
      ...nb,
      user: D,
      at: june1(300),
      credits: 5,
      status: 'failed',
      source: 'timeout',
      error: 'no result after 30 minutes',
    });
    // June 2: wavespeed 19 completed (1 credit, $0.05; A 10, E 9) and 1 failed (E): exactly 95 % and 5 %
    await addTasks(db.sql, 19, (i) => ({
      ...ws,
      user: i < 10 ? A : E,
      at: june2(i),
      credits: 1,
      status: 'completed',
      cost: 0.05,
      latencySeconds: 10,
    }));
    await addTask(db.sql, {
      ...ws,
      user: E,
      at: june2(50),
      credits: 1,
      status: 'failed',
      source: 'callback',
      error: 'content filter job 77c1d2e4',
    });
    // June 8 (the next Monday): 2 tasks still pending (user F). July 1: one completed (user A).
    await addTasks(db.sql, 2, (i) => ({
      ...ws,
      user: F,
      at: `'2026-06-08 09:00:00+00'::timestamptz + interval '${i} seconds'`,
      credits: 1,
      status: 'pending',
    }));
    await addTask(db.sql, {
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
    await addTasks(db.sql, 10, (i) => ({
      ...fg,
      model: 'f1',
      at: recent(i),
      credits: 1,
      status: 'completed',
      cost: 0.01,
      latencySeconds: i + 1,
    }));
    await addTasks(db.sql, 5, (i) => ({
      ...fg,
      model: 'f2',
      at: recent(100 + i),
      credits: 1,
      status: 'completed',
      cost: 0.05,
      latencySeconds: 20,
    }));
    await addTasks(db.sql, 5, (i) => ({
      ...fg,
      model: 'f2',
      at: recent(200 + i),
      credits: 1,
      status: 'failed',
      source: 'api_error',
      error: 'quota',
    }));
    // Today: 3 completed and 1 failed (3 credits each), and one task stuck in processing for 2 hours.
    const today = (k: number) =>
      `date_trunc('day', now() at time zone 'UTC') at time zone 'UTC' + (now() - (date_trunc('day', now() at time zone 'UTC') at time zone 'UTC')) * ${k / 10}`;
    await addTasks(db.sql, 3, (i) => ({
      ...fg,
      model: 'f1',
      at: today(i + 1),
      credits: 3,
      status: 'completed',
      cost: 0.01,
      latencySeconds: 0,
    }));
    await addTask(db.sql, { ...fg, model: 'f1', at: today(5), credits: 3, status: 'failed', source: 'callback', error: 'nsfw' });
    await addTask(db.sql, { ...fg, model: 'f3', at: `now() - interval '2 days'`, credits: 2, status: 'processing', latencySeconds: 0 });
    await db.sql`update enhancement_tasks set updated_at = now() - interval '2 hours' where model = 'f3'`;
    await db.sql`update credit_transactions set created_at = now() - interval '2 days'
                  where task_id = (select id from enhancement_tasks where model = 'f3')`;
    // Rows written with past timestamps (a bulk load) are found by a full refresh only.
    await db.sql`select * from monitoring.refresh_rollups(true)`;
  });

  it('summary: daily, weekly and monthly figures with their flags', async () => {
    const rows = await all(`select granularity, period_start::text, generations, completed, failed, in_flight, success_rate,
                                   success_below_threshold, credits_charged::int, credits_refunded::int, refund_rate,
                                   refund_above_threshold, cost_usd::text, cost_per_generation::text
                              from monitoring.summary where period_start < '2026-08-01' order by granularity, period_start`);
    expect(rows).toEqual([
      // June 1: 40 generations, 37 completed → 0.925 < 0.95; charged 36+4+95+5 = 140, refunded 2+2+5 = 9 → 0.0643 > 0.05;
      // cost 18×0.04 + 19×0.10 = 2.62, per generation 0.0655
      {
        granularity: 'day',
        period_start: '2026-06-01',
        generations: 40,
        completed: 37,
        failed: 3,
        in_flight: 0,
        success_rate: 0.925,
        success_below_threshold: true,
        credits_charged: 140,
        credits_refunded: 9,
        refund_rate: 0.0643,
        refund_above_threshold: true,
        cost_usd: '2.620000',
        cost_per_generation: '0.065500',
      },
      // June 2: exactly at both thresholds: 19/20 = 0.95 is not below, 1/20 = 0.05 is not above
      {
        granularity: 'day',
        period_start: '2026-06-02',
        generations: 20,
        completed: 19,
        failed: 1,
        in_flight: 0,
        success_rate: 0.95,
        success_below_threshold: false,
        credits_charged: 20,
        credits_refunded: 1,
        refund_rate: 0.05,
        refund_above_threshold: false,
        cost_usd: '0.950000',
        cost_per_generation: '0.047500',
      },
      // June 8: nothing finished: no success rate, no flag; nothing refunded; no cost known yet, so no average
      {
        granularity: 'day',
        period_start: '2026-06-08',
        generations: 2,
        completed: 0,
        failed: 0,
        in_flight: 2,
        success_rate: null,
        success_below_threshold: false,
        credits_charged: 2,
        credits_refunded: 0,
        refund_rate: 0,
        refund_above_threshold: false,
        cost_usd: '0.000000',
        cost_per_generation: null,
      },
      {
        granularity: 'day',
        period_start: '2026-07-01',
        generations: 1,
        completed: 1,
        failed: 0,
        in_flight: 0,
        success_rate: 1,
        success_below_threshold: false,
        credits_charged: 2,
        credits_refunded: 0,
        refund_rate: 0,
        refund_above_threshold: false,
        cost_usd: '0.040000',
        cost_per_generation: '0.040000',
      },
      // June: 62 generations, 56 of 60 finished succeeded = 0.9333; 10 of 162 credits refunded = 0.0617;
      // $3.57 over the 60 generations whose cost is known (the 2 in flight are not) = 0.0595
      {
        granularity: 'month',
        period_start: '2026-06-01',
        generations: 62,
        completed: 56,
        failed: 4,
        in_flight: 2,
        success_rate: 0.9333,
        success_below_threshold: true,
        credits_charged: 162,
        credits_refunded: 10,
        refund_rate: 0.0617,
        refund_above_threshold: true,
        cost_usd: '3.570000',
        cost_per_generation: '0.059500',
      },
      {
        granularity: 'month',
        period_start: '2026-07-01',
        generations: 1,
        completed: 1,
        failed: 0,
        in_flight: 0,
        success_rate: 1,
        success_below_threshold: false,
        credits_charged: 2,
        credits_refunded: 0,
        refund_rate: 0,
        refund_above_threshold: false,
        cost_usd: '0.040000',
        cost_per_generation: '0.040000',
      },
      // week of Monday June 1: 60 generations, 56 completed = 0.9333; 10/160 = 0.0625; $3.57 / 60 = 0.0595
      {
        granularity: 'week',
        period_start: '2026-06-01',
        generations: 60,
        completed: 56,
        failed: 4,
        in_flight: 0,
        success_rate: 0.9333,
        success_below_threshold: true,
        credits_charged: 160,
        credits_refunded: 10,
        refund_rate: 0.0625,
        refund_above_threshold: true,
        cost_usd: '3.570000',
        cost_per_generation: '0.059500',
      },
      {
        granularity: 'week',
        period_start: '2026-06-08',
        generations: 2,
        completed: 0,
        failed: 0,
        in_flight: 2,
        success_rate: null,
        success_below_threshold: false,
        credits_charged: 2,
        credits_refunded: 0,
        refund_rate: 0,
        refund_above_threshold: false,
        cost_usd: '0.000000',
        cost_per_generation: null,
      },
      // July 1 2026 is a Wednesday: its week starts on Monday June 29
      {
        granularity: 'week',
        period_start: '2026-06-29',
        generations: 1,
        completed: 1,
        failed: 0,
        in_flight: 0,
        success_rate: 1,
        success_below_threshold: false,
        credits_charged: 2,
        credits_refunded: 0,
        refund_rate: 0,
        refund_above_threshold: false,
        cost_usd: '0.040000',
        cost_per_generation: '0.040000',
      },
    ]);
  });

  it('provider costs, usage, failures, users, activity and features', async () => {
    expect(
      await all(`select provider, model, generations, completed, failed, cost_usd::text, cost_per_success::text, share_of_cost
                        from monitoring.provider_costs where granularity = 'month' and period_start = '2026-06-01' order by provider`),
    ).toEqual([
      // nanobanana: $1.90 over 19 successes = 0.10, 1.90/3.57 = 0.5322 of June's spend
      {
        provider: 'nanobanana',
        model: 'nx',
        generations: 20,
        completed: 19,
        failed: 1,
        cost_usd: '1.900000',
        cost_per_success: '0.100000',
        share_of_cost: 0.5322,
      },
      // wavespeed: 0.72 + 0.95 = $1.67 over 37 successes = 0.045135, 0.4678 of the spend
      {
        provider: 'wavespeed',
        model: 'nb',
        generations: 42,
        completed: 37,
        failed: 3,
        cost_usd: '1.670000',
        cost_per_success: '0.045135',
        share_of_cost: 0.4678,
      },
    ]);
    expect(
      await all(`select day::text, provider, task_type, generations, success_rate, credits_charged::int
                        from monitoring.usage_by_provider_model where day = '2026-06-01' order by provider`),
    ).toEqual([
      { day: '2026-06-01', provider: 'nanobanana', task_type: 'upscale', generations: 20, success_rate: 0.95, credits_charged: 100 },
      { day: '2026-06-01', provider: 'wavespeed', task_type: 'enhance', generations: 20, success_rate: 0.9, credits_charged: 40 },
    ]);
    // Ids and long numbers fold to '#': both content-filter failures are one error; 123 stays
    expect(
      await all(`select provider, failure_source, error, sum(failures)::int n from monitoring.failures_by_provider_error
                       where day between '2026-06-01' and '2026-06-30' group by 1, 2, 3 order by 1, 2, 3`),
    ).toEqual([
      { provider: 'nanobanana', failure_source: 'timeout', error: 'no result after # minutes', n: 1 },
      { provider: 'wavespeed', failure_source: 'api_error', error: 'bad input 123', n: 1 },
      { provider: 'wavespeed', failure_source: 'callback', error: 'content filter job #', n: 2 },
    ]);
    expect(
      await all(`select user_id::text, generations, completed, failed, credits_charged::int, credits_refunded::int, cost_usd::text
                        from monitoring.cost_per_user_monthly where month = '2026-06-01' and user_id in ('${A}', '${D}') order by cost_usd desc`),
    ).toEqual([
      // D: 20 generations, 19 × $0.10; charged 100, refunded 5
      { user_id: D, generations: 20, completed: 19, failed: 1, credits_charged: 100, credits_refunded: 5, cost_usd: '1.900000' },
      // A: 9 on June 1 (2 credits, $0.04) and 10 on June 2 (1 credit, $0.05): 28 credits, $0.86
      { user_id: A, generations: 19, completed: 19, failed: 0, credits_charged: 28, credits_refunded: 0, cost_usd: '0.860000' },
    ]);
    expect(
      await all(`select week::text, active_users, new_users, returning_users, generations, active_users_change
                        from monitoring.user_activity_weekly where week < '2026-08-01' order by week`),
    ).toEqual([
      { week: '2026-06-01', active_users: 5, new_users: 5, returning_users: 0, generations: 60, active_users_change: null },
      { week: '2026-06-08', active_users: 1, new_users: 1, returning_users: 0, generations: 2, active_users_change: -4 },
      // A again: active, not new
      { week: '2026-06-29', active_users: 1, new_users: 0, returning_users: 1, generations: 1, active_users_change: 0 },
    ]);
    expect(
      await all(`select task_type, model, generations, share_of_month, rank_in_month from monitoring.feature_popularity
                       where month = '2026-06-01' order by rank_in_month`),
    ).toEqual([
      { task_type: 'enhance', model: 'nb', generations: 42, share_of_month: 0.6774, rank_in_month: 1 },
      { task_type: 'upscale', model: 'nx', generations: 20, share_of_month: 0.3226, rank_in_month: 2 },
    ]);
  });

  it('provider performance over the last 7 days, with latency p50 and p95', async () => {
    // fastgen submitted-and-finished latencies (ms): 1000..10000, five of 20000, three of 0 (today)
    // → 18 values: 0,0,0,1000,…,10000,20000×5. p50 (percentile_disc, the 9th): 6000, read from the
    // histogram as its bucket's middle 1.1^91.5 = 6129.6 (+2.2 %); p95 (the 18th): 20000, read as
    // 1.1^103.5 = 19237.2 (−3.8 %). Success 18 of 24 finished = 0.75; cost 0.13 + 0.25 = 0.38 over 18.
    expect(
      await one(`select generations, completed, failed, success_rate, latency_p50_ms, latency_p95_ms,
                             cost_usd::text, cost_per_success::text from monitoring.provider_performance where provider = 'fastgen'`),
    ).toEqual({
      generations: 25,
      completed: 18,
      failed: 6,
      success_rate: 0.75,
      latency_p50_ms: 6129.6,
      latency_p95_ms: 19237.2,
      cost_usd: '0.380000',
      cost_per_success: '0.021111',
    });
    expect(await all(`select provider from monitoring.provider_performance order by 1`)).toEqual([{ provider: 'fastgen' }]);
  });

  it('optimization hints point at the model that fails or costs more than its provider', async () => {
    expect(await all(`select * from monitoring.optimization_hints`)).toEqual([]); // f2 has 10 generations, under the 20 minimum
    await db.sql`update monitoring.thresholds set value = 10 where name = 'hint_min_generations'`;
    // f2: 5 failed of 10 = 0.5 against fastgen's 6 of 24 = 0.25 (2×); $0.05 per success against 0.38 / 18 = 0.021111 (2.4×)
    expect(
      await all(`select provider, model, generations, failure_rate, provider_failure_rate, cost_per_success::text,
                             provider_cost_per_success::text, hint from monitoring.optimization_hints`),
    ).toEqual([
      {
        provider: 'fastgen',
        model: 'f2',
        generations: 10,
        failure_rate: 0.5,
        provider_failure_rate: 0.25,
        cost_per_success: '0.050000',
        provider_cost_per_success: '0.021111',
        hint: "fails 2.0× as often as fastgen overall; costs 2.4× fastgen's average per success",
      },
    ]);
  });

  it('platform health: today against each threshold', async () => {
    // Today: 3 completed of 4 finished = 0.75 (alert); 1 failure (ok); ledger today: 12 charged, 3 refunded = 0.25 (alert);
    // stuck over 30 minutes: the task in processing for 2 hours and June 8's two pending tasks (alert)
    expect(
      await one(`select success_rate, success_status, failures, failures_status, refund_rate, refund_status,
                             stuck_tasks, stuck_status, status from monitoring.platform_health`),
    ).toEqual({
      success_rate: 0.75,
      success_status: 'alert',
      failures: 1,
      failures_status: 'ok',
      refund_rate: 0.25,
      refund_status: 'alert',
      stuck_tasks: 3,
      stuck_status: 'alert',
      status: 'alert',
    });
    await db.sql`update monitoring.thresholds set value = 0.75 where name = 'success_rate_min'`;
    expect(await one(`select success_status from monitoring.platform_health`)).toEqual({ success_status: 'ok' }); // 0.75 is not below 0.75
    await db.sql`update monitoring.thresholds set value = 0.95 where name = 'success_rate_min'`;
  });

  it("platform health: backfilling old failures does not move today's refund rate", async () => {
    // Refund rate = credits refunded / charged of the generations started today; refunds paid today
    // for failures of 60 days ago belong to their own day, not to today's health.
    const before = await one(`select refund_rate, refund_status from monitoring.platform_health`);
    expect(before).toEqual({ refund_rate: 0.25, refund_status: 'alert' });
    for (let i = 0; i < 20; i++) {
      await db.sql.unsafe(`
        with task as (
          insert into enhancement_tasks (user_id, task_type, provider, status, credits_used, origin, created_at, updated_at, completed_at)
          values ('${B}', 'upscale', 'wavespeed', 'failed', 5, 'legacy', now() - interval '60 days', now() - interval '60 days', now() - interval '60 days')
          returning id, created_at
        )
        insert into credit_transactions (user_id, amount, type, task_id, origin, created_at)
        select '${B}', -5, 'usage', id, 'legacy', created_at from task`);
    }
    expect((await db.sql`select * from backfill_missing_refunds(false)`).length).toBe(20);
    expect(await one(`select refund_rate, refund_status from monitoring.platform_health`)).toEqual(before);
    await db.sql`select * from monitoring.refresh_rollups()`;
    // They count where they started: 100 credits charged and refunded 60 days ago
    expect(
      await one(`select credits_charged::int, credits_refunded::int, refund_rate from monitoring.summary
                       where granularity = 'day' and period_start = (now() at time zone 'UTC')::date - 60`),
    ).toEqual({
      credits_charged: 100,
      credits_refunded: 100,
      refund_rate: 1,
    });
  });

  it('admin_credit_stats: the June document, exact on a range with partial days, and without rollups', async () => {
    const june = await one<{ s: Record<string, any> }>(`select admin_credit_stats('2026-06-01', '2026-07-01') s`);
    expect(june.s.totals).toEqual({
      generations: 62,
      succeeded: 56,
      failed: 4,
      in_flight: 2,
      credits_charged: 162,
      credits_refunded: 10,
      provider_cost_usd: '3.570000',
      failed_cost_usd: '0.000000',
      cost_per_generation: '0.059500',
      cost_per_success: '0.063750',
    }); // 3.57 / (56 + 4: the 2 in flight have no cost yet) and / 56
    expect(june.s.success_rate).toBe(0.9333);
    expect(
      june.s.providers.map((p: any) => [p.provider, p.generations, p.succeeded, p.failed, p.success_rate, p.provider_cost_usd]),
    ).toEqual([
      ['nanobanana', 20, 19, 1, 0.95, '1.900000'],
      ['wavespeed', 42, 37, 3, 0.925, '1.670000'],
    ]);
    expect(june.s.failures.total).toBe(4);
    expect(june.s.failures.by_source).toEqual({ callback: 2, api_error: 1, timeout: 1 });
    expect(june.s.failures.top_errors[0]).toEqual({
      provider: 'wavespeed',
      failure_source: 'callback',
      error: 'content filter job #',
      failures: 2,
    });
    expect(june.s.refunds).toEqual({ tasks: 4, credits: 10, rate: 0.0617 });
    expect(june.s.top_users[0]).toEqual({
      user_id: D,
      generations: 20,
      credits_charged: 100,
      credits_refunded: 5,
      provider_cost_usd: '1.900000',
    });
    expect(june.s.health.status).toBe('alert');

    // The daily series: one entry per day of June, each equal to the summary's day, summing to the totals
    expect(june.s.daily).toHaveLength(30);
    expect(june.s.daily.map((d: any) => d.day)).toEqual(Array.from({ length: 30 }, (_, i) => `2026-06-${String(i + 1).padStart(2, '0')}`));
    const days = await all(`select period_start::text as day, generations, completed, failed, credits_charged::int, credits_refunded::int,
                                   cost_usd::text, success_rate, refund_rate from monitoring.summary
                             where granularity = 'day' and period_start >= '2026-06-01' and period_start < '2026-07-01' order by 1`);
    for (const d of days) {
      expect(june.s.daily.find((x: any) => x.day === d.day)).toEqual({
        day: d.day,
        generations: d.generations,
        succeeded: d.completed,
        failed: d.failed,
        credits_charged: d.credits_charged,
        credits_refunded: d.credits_refunded,
        provider_cost_usd: d.cost_usd,
        failed_cost_usd: '0.000000',
        success_rate: d.success_rate,
        refund_rate: d.refund_rate,
      });
    }
    expect(june.s.daily.find((x: any) => x.day === '2026-06-15')).toMatchObject({
      generations: 0,
      success_rate: null,
      refund_rate: null,
      provider_cost_usd: '0.000000',
    });
    const sum = (key: string) => june.s.daily.reduce((n: number, d: any) => n + d[key], 0);
    expect([sum('generations'), sum('succeeded'), sum('failed'), sum('credits_charged')]).toEqual([62, 56, 4, 162]);

    // From June 1 at noon: the morning of June 1 is out → June 2 (20) and June 8 (2)
    const fromNoon = await one<{ s: Record<string, any> }>(`select admin_credit_stats('2026-06-01 12:00+00', '2026-07-01') s`);
    expect(fromNoon.s.totals).toMatchObject({
      generations: 22,
      succeeded: 19,
      failed: 1,
      credits_charged: 22,
      provider_cost_usd: '0.950000',
    });
    // The partial first day is in the series, with what started after noon only (from the raw rows)
    expect(fromNoon.s.daily[0]).toMatchObject({ day: '2026-06-01', generations: 0 });
    expect(fromNoon.s.daily[1]).toMatchObject({ day: '2026-06-02', generations: 20 });

    // The same answers from the raw rows alone, as before any refresh
    await db.sql`delete from monitoring.rollup_state`;
    const raw = await one<{ s: Record<string, any> }>(`select admin_credit_stats('2026-06-01', '2026-07-01') s`);
    const strip = (doc: Record<string, any>) => ({ ...doc, data_through: undefined, health: undefined });
    expect(strip(raw.s)).toEqual(strip(june.s));
    await db.sql`select * from monitoring.refresh_rollups()`;

    await expect(db.sql`select admin_credit_stats('2026-07-01', '2026-06-01')`).rejects.toMatchObject({ code: 'CR003' });
    await expect(db.sql`select admin_credit_stats(null, now())`).rejects.toMatchObject({ code: 'CR003' });
    // Infinite or absurd bounds are an invalid argument, not an overflow (22008)
    for (const [from, to] of [
      ['-infinity', 'now'],
      ['2026-06-01', 'infinity'],
      ['4713-01-01 BC', '4710-01-01 BC'],
      ['294276-01-01', '294276-12-31'],
      ['1969-12-31', '1970-01-02'],
    ]) {
      await expect(db.sql.unsafe(`select admin_credit_stats('${from}', '${to}')`)).rejects.toMatchObject({ code: 'CR003' });
    }
  });

  it('unpriced completions are counted, never taken as $0, and averages use priced generations only', async () => {
    // August 3: wsx on wavespeed, user A: 3 completed at $0.04, 1 completed with no cost known, 1 failed (costs nothing)
    const aug3 = (s: number) => `'2026-08-03 10:00:00+00'::timestamptz + interval '${s} seconds'`;
    const wsx = { provider: 'wavespeed', model: 'wsx', type: 'enhance', user: A, credits: 1 };
    await addTasks(db.sql, 3, (i) => ({ ...wsx, at: aug3(i), status: 'completed', cost: 0.04, latencySeconds: 10 }));
    await addTask(db.sql, { ...wsx, at: aug3(10), status: 'completed', cost: null, latencySeconds: 10 });
    await addTask(db.sql, { ...wsx, at: aug3(20), status: 'failed', source: 'callback', error: 'nsfw' });
    await db.sql`select * from monitoring.refresh_rollups(true)`;

    // $0.12 known for 4 of 5 generations: 0.03 per generation (not 0.024); per success 0.12 / 3 = 0.04 (not 0.03)
    expect(
      await one(`select generations, unpriced, cost_coverage, cost_usd::text, cost_per_generation::text
                        from monitoring.summary where granularity = 'day' and period_start = '2026-08-03'`),
    ).toEqual({
      generations: 5,
      unpriced: 1,
      cost_coverage: 0.75,
      cost_usd: '0.120000',
      cost_per_generation: '0.030000',
    });
    expect(
      await one(`select unpriced, cost_coverage, cost_per_generation::text, cost_per_success::text
                        from monitoring.provider_costs where granularity = 'month' and period_start = '2026-08-01'`),
    ).toEqual({
      unpriced: 1,
      cost_coverage: 0.75,
      cost_per_generation: '0.030000',
      cost_per_success: '0.040000',
    });
    expect(await one(`select unpriced, cost_usd::text from monitoring.usage_by_provider_model where day = '2026-08-03'`)).toEqual({
      unpriced: 1,
      cost_usd: '0.120000',
    });
    expect(
      await one(`select unpriced, cost_coverage, cost_per_generation::text from monitoring.cost_per_user_monthly
                       where month = '2026-08-01' and user_id = '${A}'`),
    ).toEqual({ unpriced: 1, cost_coverage: 0.75, cost_per_generation: '0.030000' });

    // The document, from the rollups and (a range with a partial day) from the raw rows
    for (const from of ['2026-08-01', '2026-08-03 09:00+00']) {
      const aug = await one<{ s: Record<string, any> }>(`select admin_credit_stats('${from}', '2026-09-01') s`);
      expect(aug.s.pricing).toEqual({
        complete: false,
        unpriced: 1,
        coverage: 0.75,
        unpriced_models: [{ provider: 'wavespeed', model: 'wsx', unpriced: 1 }],
      });
      expect(aug.s.providers[0]).toMatchObject({
        provider: 'wavespeed',
        unpriced: 1,
        cost_coverage: 0.75,
        provider_cost_usd: '0.120000',
        cost_per_success: '0.040000',
      });
      expect(aug.s.providers[0].models[0]).toMatchObject({ model: 'wsx', unpriced: 1 });
    }

    // Today: one more fastgen success with no cost: health warns that today's spend is incomplete
    await addTask(db.sql, {
      provider: 'fastgen',
      model: 'f1',
      type: 'enhance',
      user: G,
      credits: 3,
      status: 'completed',
      cost: null,
      latencySeconds: 0,
      at: `date_trunc('day', now() at time zone 'UTC') at time zone 'UTC' + (now() - (date_trunc('day', now() at time zone 'UTC') at time zone 'UTC')) * 0.6`,
    });
    await db.sql`select * from monitoring.refresh_rollups(true)`; // platform_health reads today as of the refresh
    // Today: 4 completed, one unpriced → coverage 0.75; $0.03 known
    expect(await one(`select cost_usd::text, unpriced, cost_coverage, cost_status, status from monitoring.platform_health`)).toEqual({
      cost_usd: '0.030000',
      unpriced: 1,
      cost_coverage: 0.75,
      cost_status: 'incomplete',
      status: 'alert',
    });
    await db.sql`update monitoring.thresholds set value = case name when 'success_rate_min' then 0 when 'refund_rate_max' then 1
                                                                   when 'stuck_tasks_max' then 100 end
                  where name in ('success_rate_min', 'refund_rate_max', 'stuck_tasks_max')`;
    expect(await one(`select status from monitoring.platform_health`)).toEqual({ status: 'warn' }); // no alert left: a warning
    await db.sql`update monitoring.thresholds set value = case name when 'success_rate_min' then 0.95 when 'refund_rate_max' then 0.05
                                                                   when 'stuck_tasks_max' then 0 end
                  where name in ('success_rate_min', 'refund_rate_max', 'stuck_tasks_max')`;
    // fastgen over 7 days: $0.38 over the 18 priced of 19 successes = 0.021111 (not 0.02); coverage 18/19
    expect(
      await one(`select completed, unpriced, cost_coverage, cost_per_success::text from monitoring.provider_performance
                       where provider = 'fastgen'`),
    ).toEqual({ completed: 19, unpriced: 1, cost_coverage: 0.9474, cost_per_success: '0.021111' });
    // The hints compare against the same honest average: f2's $0.05 is 2.4× fastgen's 0.021111 (not 2.5× a diluted 0.02);
    // its failure rate 0.5 against fastgen's 6 of 25 = 0.24 is 2.1×
    await db.sql`select * from monitoring.refresh_rollups(true)`;
    expect(await one(`select provider_cost_per_success::text, hint from monitoring.optimization_hints where model = 'f2'`)).toEqual({
      provider_cost_per_success: '0.021111',
      hint: "fails 2.1× as often as fastgen overall; costs 2.4× fastgen's average per success",
    });
  });

  it('privileges: the analyst reads monitoring only; end users and anon read none of it', async () => {
    expect(
      await asRole('credits_analyst', async (tx) => {
        await tx`select * from monitoring.summary`;
        await tx`select admin_credit_stats()`;
        return [
          await denied(tx, `select * from public.enhancement_tasks`),
          await denied(tx, `update monitoring.thresholds set value = 0 where name = 'stuck_tasks_max'`),
          await denied(tx, `select * from monitoring.refresh_rollups()`),
        ];
      }),
    ).toEqual(['42501', '42501', '42501']);
    for (const role of ['authenticated', 'anon']) {
      expect(
        await asRole(role, async (tx) => [
          await denied(tx, `select * from monitoring.platform_health`),
          await denied(tx, `select * from monitoring.task_rollup_daily`),
          await denied(tx, `select admin_credit_stats()`),
        ]),
      ).toEqual(['42501', '42501', '42501']);
    }
    const [grants] =
      await db.sql`select has_function_privilege('credits_service', 'monitoring.refresh_rollups(boolean)', 'execute') refresh,
                                         has_function_privilege('credits_analyst', 'public.admin_credit_stats(timestamptz,timestamptz,boolean)', 'execute') stats`;
    expect(grants).toEqual({ refresh: true, stats: true });
  });
});

describe('error groups: ids, times and long numbers fold, status codes and short numbers stay', () => {
  it('groups failures by their message with what tells them apart kept', async () => {
    const user = randomUUID();
    await db.sql`select created from ensure_credit_account(${user}, 'pro')`;
    const messages = [
      'WaveSpeed answered 502 to POST /api/v3/google/nano-banana/edit',
      'WaveSpeed answered 429 to POST /api/v3/google/nano-banana/edit',
      'timeout after 31s (job 8f3a9c21)',
      'timeout after 45s (job 77c1d2e4)',
      'task 6b1f1a52-6c1e-4b8e-9d55-0e6c2a1f3b77 failed at 2026-12-07T03:54:28.123Z',
      'task 0c9d8e7f-1a2b-4c3d-8e9f-a0b1c2d3e4f5 failed at 2026-12-08T11:02:59Z',
      'image too large: 12582912 bytes (max 10 MB)',
      'HTTP 400: width must be <= 4096, got 5000',
    ];
    for (const message of messages) {
      const [task] = await db.sql`select task_id from start_generation(${user}, 'enhance', 'error-groups', 'm', 1)`;
      await db.sql`select outcome from fail_generation(${task!.task_id}, ${message}, 'api_error')`;
    }
    const groups = await db.sql`
      select error, sum(failures)::int n from monitoring_private.failure_rollup_source(now() - interval '1 hour', now() + interval '1 hour')
       where provider = 'error-groups' group by 1 order by 1`;
    expect(groups).toEqual([
      { error: 'HTTP 400: width must be <= #, got #', n: 1 },
      { error: 'WaveSpeed answered 429 to POST /api/v3/google/nano-banana/edit', n: 1 },
      { error: 'WaveSpeed answered 502 to POST /api/v3/google/nano-banana/edit', n: 1 },
      { error: 'image too large: # bytes (max # MB)', n: 1 },
      { error: 'task # failed at #', n: 2 },
      { error: 'timeout after #s (job #)', n: 2 },
    ]);
  });
});
