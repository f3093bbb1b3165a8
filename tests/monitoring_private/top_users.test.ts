// monitoring_private.top_users and the live reads beside it (task_stats, failure_stats): exact for
// any range, between refreshes, whether the accounts' figures are skewed (a few accounts lead: the
// partial days' bounds leave a few to read) or alike (most could still rank: one scan of the
// partial days), with team accounts (tasks under the member, paid by the team) and tasks that
// changed since the last refresh in hours the rollups already hold.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ max: 2 });
});
afterAll(() => db.drop());

/** Live figures against the raw rows for one range: the number of rows that differ, per read. */
async function differences(from: string, to: string) {
  const [row] = await db.sql.unsafe(`
    with raw_users as (
      select user_id, sum(generations)::bigint g, sum(credits_charged)::bigint c, sum(credits_refunded)::bigint r, sum(cost_usd) cost
        from monitoring_private.user_day_rollup_source(${from}, ${to}) group by 1
    ), raw_top as (
      (select 'credits' ranking, (row_number() over (order by c desc, user_id))::int rank, user_id, g, c, r, cost
         from raw_users order by c desc, user_id limit 10)
      union all (select 'cost', (row_number() over (order by cost desc, user_id))::int, user_id, g, c, r, cost
                   from raw_users order by cost desc, user_id limit 10)
      union all (select 'generations', (row_number() over (order by g desc, user_id))::int, user_id, g, c, r, cost
                   from raw_users order by g desc, user_id limit 10)
    ), live_top as (select * from monitoring_private.top_users(${from}, ${to}))
    , raw_tasks as (
      select (s.hour at time zone 'UTC')::date as day, s.provider, s.model, s.task_type, sum(s.generations)::bigint n,
             sum(s.completed)::bigint completed, sum(s.credits_charged) charged, sum(s.cost_usd) cost
        from monitoring_private.task_rollup_source(${from}, ${to}) s group by 1, 2, 3, 4
    ), live_tasks as (
      select day, provider, model, task_type, generations, completed, credits_charged, cost_usd
        from monitoring_private.task_stats(${from}, ${to})
    )
    select (select count(*) from ((select * from live_top except all select * from raw_top)
                                  union all (select * from raw_top except all select * from live_top)) x)::int users,
           (select count(*) from ((select * from live_tasks except all select * from raw_tasks)
                                  union all (select * from raw_tasks except all select * from live_tasks)) x)::int tasks,
           (select count(*) from raw_top)::int ranked`);
  return row!;
}

const ranges = [
  ["now() - interval '7 days'", 'now()'],
  ["now() - interval '30 days'", 'now()'],
  ["now() - interval '6 days 13 hours'", "now() - interval '2 days 3 hours'"],
  [
    "date_trunc('day', now(), 'UTC') - interval '2 days' + interval '7 hours'",
    "date_trunc('day', now(), 'UTC') - interval '2 days' + interval '19 hours'",
  ],
  ["now() - interval '3 hours'", "now() + interval '1 day'"],
];

/**
 * `accounts` accounts, each with tasks spread over the last 9 days; `skewed`: account i starts
 * about 40 / (i + 1) tasks (a few lead), else every account starts 4. Every fifth account's
 * tasks are paid by a team (under the member's user id). Some tasks are still in flight.
 */
async function load(accounts: number, skewed: boolean) {
  await db.sql`truncate enhancement_tasks, credits_private.team_members, credits_private.teams cascade`;
  await db.sql.unsafe(`
    insert into user_credits (user_id, credits, purchased_credits)
    select md5('top-' || i)::uuid, 0, 0 from generate_series(1, ${accounts}) i on conflict do nothing;
    insert into credits_private.teams (team_id)
    select md5('top-' || i)::uuid from generate_series(1, ${accounts}) i where i % 5 = 0 on conflict do nothing;
    insert into credits_private.team_members (team_id, user_id)
    select md5('top-' || i)::uuid, md5('member-' || i)::uuid from generate_series(1, ${accounts}) i where i % 5 = 0;
    insert into enhancement_tasks (user_id, account_id, task_type, provider, model, status, credits_used, provider_cost_usd,
                                   created_at, submitted_at, completed_at, updated_at)
    select case when a % 5 = 0 then md5('member-' || a)::uuid else md5('top-' || a)::uuid end,
           case when a % 5 = 0 then md5('top-' || a)::uuid end,
           'enhance', 'wavespeed', 'm' || (k % 3), case when k % 9 = 0 then 'processing' when k % 7 = 0 then 'failed' else 'completed' end,
           1 + (a * k) % 5, case when k % 9 = 0 then null else 0.01 * (1 + k % 4) end, at, at,
           case when k % 9 <> 0 then at + interval '20 seconds' end, at
      from generate_series(1, ${accounts}) a,
           generate_series(1, ${skewed ? `greatest(1, 40 / a)` : '4'}) k,
           lateral (select now() - make_interval(secs => ((a * 7919 + k * 104729) % (9 * 86400))) as at) t;
  `);
  // a history written straight into the table, back-dated, is followed by a full refresh
  await db.sql`select * from monitoring.refresh_rollups(true)`;
  // after the refresh: tasks in flight finish (hours the rollups hold), new ones start
  await db.sql`update enhancement_tasks set status = 'completed', completed_at = now(), updated_at = now(), provider_cost_usd = 0.5
                where status = 'processing' and created_at < now() - interval '2 days'`;
  await db.sql.unsafe(`
    insert into enhancement_tasks (user_id, task_type, provider, model, status, credits_used, created_at, updated_at)
    select md5('top-' || a)::uuid, 'enhance', 'wavespeed', 'm1', 'pending', 5, now(), now()
      from generate_series(1, ${accounts}, 3) a`);
}

describe('top users and the live reads, between refreshes', () => {
  it('are exact when a few accounts lead', async () => {
    await load(40, true);
    for (const [from, to] of ranges) expect(await differences(from!, to!), `[${from}, ${to})`).toMatchObject({ users: 0, tasks: 0 });
  });

  it('are exact when every account is alike (one scan of the partial days)', async () => {
    await load(2500, false);
    for (const [from, to] of ranges) {
      const found = await differences(from!, to!);
      expect(found, `[${from}, ${to})`).toMatchObject({ users: 0, tasks: 0 });
      expect(found.ranked).toBe(30);
    }
  });

  it('are exact before any refresh (raw rows only)', async () => {
    await load(40, true);
    await db.sql`update monitoring.rollup_state set watermark = '-infinity'`;
    for (const [from, to] of ranges) expect(await differences(from!, to!), `[${from}, ${to})`).toMatchObject({ users: 0, tasks: 0 });
  });
});
