// monitoring.refresh_rollups: whatever happens between refreshes, an incremental refresh leaves every
// rollup (the top users' windows included) equal to a recomputation from the raw rows; migration 0011's fill.
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { migrateDown, migrateUp, migrationFiles } from '../../src/migrate/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { newAccount, startGeneration, type Sql } from '../helpers/ledger.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ max: 4 });
});
afterAll(() => db.drop());

const rollups = [
  ['monitoring.task_rollup_hourly', 'monitoring_private.task_rollup_source'],
  ['monitoring.failure_rollup_hourly', 'monitoring_private.failure_rollup_source'],
  ['monitoring.latency_rollup_hourly', 'monitoring_private.latency_rollup_source'],
  ['monitoring.user_rollup_monthly', 'monitoring_private.user_rollup_source'],
  ['monitoring.user_rollup_daily', 'monitoring_private.user_day_rollup_source'],
  ['monitoring.activity_rollup_weekly', 'monitoring_private.activity_rollup_source'],
] as const;

/** The daily rollups, summed by the refresh from the hours, against the raw rows summed by day. */
const daily = [
  [
    'monitoring.task_rollup_daily',
    `select (s.hour at time zone 'UTC')::date, s.provider, s.model, s.task_type, sum(s.generations)::int, sum(s.completed)::int,
            sum(s.failed)::int, sum(s.in_flight)::int, sum(s.credits_charged)::bigint, sum(s.credits_refunded)::bigint,
            sum(s.refunded_tasks)::int, sum(s.cost_usd), sum(s.latency_ms_sum)::bigint, sum(s.latency_count)::int,
            sum(s.unpriced)::int, sum(s.failed_cost_usd), sum(s.credits_settled)::bigint
       from monitoring_private.task_rollup_source('-infinity', 'infinity') s group by 1, 2, 3, 4`,
  ],
  [
    'monitoring.failure_rollup_daily',
    `select (s.hour at time zone 'UTC')::date, s.provider, s.model, s.failure_source, s.error, sum(s.failures)::int
       from monitoring_private.failure_rollup_source('-infinity', 'infinity') s group by 1, 2, 3, 4, 5`,
  ],
  [
    'monitoring.latency_rollup_daily',
    `select (s.hour at time zone 'UTC')::date, s.provider, s.model, s.bucket, sum(s.tasks)::int
       from monitoring_private.latency_rollup_source('-infinity', 'infinity') s group by 1, 2, 3, 4`,
  ],
] as const;

/** Rows in one side and not the other, both ways; empty when the rollup equals the raw data. */
async function drift(sql: Sql, { hourly = true } = {}) {
  const found: Record<string, unknown[]> = {};
  const compared: (readonly [string, string])[] = [
    ...rollups
      .filter(([table]) => hourly || !table.endsWith('_hourly'))
      .map(([table, source]) => [table, `select * from ${source}('-infinity', 'infinity')`] as const),
    ...daily,
  ];
  for (const [table, raw] of compared) {
    const rows = await sql.unsafe(`
      (select 'rollup only' side, * from ${table} except all select 'rollup only', * from (${raw}) r)
      union all
      (select 'raw only', * from (${raw}) r except all select 'raw only', * from ${table})`);
    if (rows.length) found[table] = [...rows];
  }
  // The top users' windows: each user's raw days summed over each window.
  const windows = await sql`
    with raw as (
      select e.days, s.user_id, sum(s.generations)::int generations, sum(s.credits_charged)::bigint credits_charged,
             sum(s.credits_refunded)::bigint credits_refunded, sum(s.cost_usd) cost_usd
        from monitoring.user_rollup_window_end e
        join monitoring_private.user_day_rollup_source('-infinity', 'infinity') s on s.day > e.through - e.days and s.day <= e.through
       group by 1, 2
    )
    (select 'rollup only' side, * from monitoring.user_rollup_window except all select 'rollup only', * from raw)
    union all
    (select 'raw only', * from raw except all select 'raw only', * from monitoring.user_rollup_window)`;
  if (windows.length) found['monitoring.user_rollup_window'] = [...windows];
  return found;
}

/**
 * The live reads (admin_credit_stats' parts) against the raw rows, between refreshes: whatever
 * changed since the last one, each range's figures are exact. Returns the ranges that differ.
 */
async function liveDrift(sql: Sql) {
  const ranges = [
    ["now() - interval '400 days'", 'now()'],
    ["now() - interval '7 days'", "now() + interval '1 hour'"],
    ["now() - interval '35 days 5 hours'", "now() - interval '20 days'"],
    ["now() - interval '90 minutes'", 'now()'],
  ];
  const found: string[] = [];
  for (const [from, to] of ranges) {
    const [row] = await sql.unsafe(`
      with raw_tasks as (
        select (s.hour at time zone 'UTC')::date as day, s.provider, s.model, s.task_type, sum(s.generations)::bigint generations,
               sum(s.completed)::bigint completed, sum(s.failed)::bigint failed, sum(s.in_flight)::bigint in_flight,
               sum(s.credits_charged) credits_charged, sum(s.credits_refunded) credits_refunded, sum(s.cost_usd) cost_usd,
               sum(s.unpriced)::bigint unpriced, sum(s.failed_cost_usd) failed_cost_usd, sum(s.credits_settled) credits_settled
          from monitoring_private.task_rollup_source(${from}, ${to}) s group by 1, 2, 3, 4
      ), live_tasks as (
        select day, provider, model, task_type, generations, completed, failed, in_flight, credits_charged, credits_refunded,
               cost_usd, unpriced, failed_cost_usd, credits_settled
          from monitoring_private.task_stats(${from}, ${to})
      ), raw_failures as (
        select provider, model, failure_source, error, sum(failures)::bigint failures
          from monitoring_private.failure_rollup_source(${from}, ${to}) group by 1, 2, 3, 4
      ), raw_users as (
        select user_id, sum(generations)::bigint g, sum(credits_charged)::bigint c, sum(credits_refunded)::bigint r, sum(cost_usd) cost
          from monitoring_private.user_day_rollup_source(${from}, ${to}) group by 1
      ), raw_top as (
        (select 'credits' ranking, (row_number() over (order by c desc, user_id))::int rank, user_id, g, c, r, cost from raw_users order by c desc, user_id limit 10)
        union all (select 'cost', (row_number() over (order by cost desc, user_id))::int, user_id, g, c, r, cost from raw_users order by cost desc, user_id limit 10)
        union all (select 'generations', (row_number() over (order by g desc, user_id))::int, user_id, g, c, r, cost from raw_users order by g desc, user_id limit 10)
      )
      select (select count(*) from ((select * from live_tasks except all select * from raw_tasks)
                                    union all (select * from raw_tasks except all select * from live_tasks)) x)::int tasks,
             (select count(*) from ((select * from monitoring_private.failure_stats(${from}, ${to}) except all select * from raw_failures)
                                    union all (select * from raw_failures except all select * from monitoring_private.failure_stats(${from}, ${to}))) x)::int failures,
             (select count(*) from ((select * from monitoring_private.top_users(${from}, ${to}) except all select * from raw_top)
                                    union all (select * from raw_top except all select * from monitoring_private.top_users(${from}, ${to}))) x)::int users`);
    if (row!.tasks || row!.failures || row!.users) found.push(`[${from}, ${to}): ${JSON.stringify(row)}`);
  }
  return found;
}

type Op = { kind: 'start' | 'complete' | 'fail' | 'sweep' | 'refresh' | 'legacy' | 'backfill'; n: number };
const opArb = fc.record({
  kind: fc.constantFrom<Op['kind']>('start', 'start', 'complete', 'fail', 'sweep', 'refresh', 'legacy', 'backfill'),
  n: fc.nat(1000),
});

it('an incremental refresh always equals a recomputation from the raw rows', async () => {
  const user = await newAccount(db.sql, 'pro');
  await db.sql`select grant_credits(${user}, 100000000, 'load', 'rollups-load')`;
  const tasks: string[] = [];
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 3, maxLength: 25 }), async (ops) => {
      for (const op of ops) {
        const task = tasks[op.n % Math.max(tasks.length, 1)];
        const models = ['m1', 'm2', 'm3'];
        switch (op.kind) {
          case 'start': {
            const [t] =
              await db.sql`select task_id from start_generation(${user}, 'enhance', ${op.n % 2 ? 'wavespeed' : 'nanobanana'}, ${models[op.n % 3]!}, ${1 + (op.n % 4)})`;
            tasks.push(t!.task_id);
            if (op.n % 3 === 0) await db.sql`select mark_generation_submitted(${t!.task_id}, ${`job-${t!.task_id}`})`;
            break;
          }
          case 'complete':
            // Every fifth callback carries no cost (no price known): an unpriced completion.
            if (task) await db.sql`select complete_generation(${task}, ${op.n % 5 === 0 ? null : (op.n % 7) / 100})`;
            break;
          case 'fail':
            if (task) await db.sql`select fail_generation(${task}, ${`error ${op.n}`}, 'callback')`;
            break;
          case 'sweep':
            if (task)
              await db.sql`update enhancement_tasks set updated_at = now() - interval '1 hour' where id = ${task} and status in ('pending', 'processing')`;
            await db.sql`select * from expire_stale_generations('30 minutes')`;
            break;
          case 'legacy': {
            // A failure inherited from before adoption, months ago, charged and never refunded.
            const [t] = await db.sql`
              insert into enhancement_tasks (user_id, task_type, provider, status, credits_used, origin, created_at, updated_at, completed_at)
              values (${user}, 'upscale', 'wavespeed', 'failed', 2, 'legacy', now() - ${`${30 + op.n} days`}::interval,
                      now() - ${`${30 + op.n} days`}::interval, now() - ${`${30 + op.n} days`}::interval)
              returning id`;
            await db.sql`insert into credit_transactions (user_id, amount, type, task_id, origin, created_at)
                         values (${user}, -2, 'usage', ${t!.id}, 'legacy', now() - ${`${30 + op.n} days`}::interval)`;
            await db.sql`update user_credits set credits = credits - 2, purchased_credits = purchased_credits - 2 where user_id = ${user}`;
            await db.sql`select * from monitoring.refresh_rollups(true)`; // a bulk import is followed by a full refresh
            break;
          }
          case 'backfill':
            await db.sql`select * from backfill_missing_refunds(false)`;
            break;
          case 'refresh':
            await db.sql`select * from monitoring.refresh_rollups()`;
        }
      }
      expect(await liveDrift(db.sql)).toEqual([]);
      await db.sql`select * from monitoring.refresh_rollups()`;
      expect(await drift(db.sql)).toEqual({});
      expect(await liveDrift(db.sql)).toEqual([]);
    }),
    { numRuns: 40 },
  );
});

it('migration 0011 fills the unpriced counts of existing rollups from the raw rows, and rolls back', async () => {
  const user = await newAccount(db.sql, 'pro');
  for (let i = 0; i < 6; i++) {
    const { task_id } = await startGeneration(db.sql, user, 1);
    await db.sql`select complete_generation(${task_id}, ${i % 3 === 0 ? null : 0.02})`;
  }
  await db.sql`select * from monitoring.refresh_rollups()`;
  const files = await migrationFiles();
  const from0011 = files.length - files.findIndex((f) => f.includes('0011_rollup_unpriced_completions'));
  await migrateDown({ databaseUrl: db.url, count: from0011 });
  const [gone] =
    await db.sql`select count(*)::int n from information_schema.columns where table_schema = 'monitoring' and column_name = 'unpriced'`;
  expect(gone!.n).toBe(0);
  await migrateUp({ databaseUrl: db.url });
  // 0034's hourly rollups are filled by the next refresh (the rest is what 0011 filled)
  expect(await drift(db.sql, { hourly: false })).toEqual({});
  const [filled] = await db.sql`select (select sum(unpriced)::int from monitoring.task_rollup_daily) daily,
                                       (select sum(unpriced)::int from monitoring.user_rollup_monthly where user_id = ${user}) monthly,
                                       (select count(*)::int from enhancement_tasks where status = 'completed' and provider_cost_usd is null) raw`;
  expect(filled!.raw).toBeGreaterThanOrEqual(2);
  expect(filled).toEqual({ daily: filled!.raw, monthly: 2, raw: filled!.raw });
});
