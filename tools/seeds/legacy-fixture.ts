// A realistic legacy database, as the platform holds it before adoption (contract §1), made with
// set-based SQL so that thousands of users load in a second. Deterministic: user i is always
// the same. What it contains, per user i:
//   tiers free/basic/pro, and 'enterprise' (a tier the package does not know) for i % 97 = 0;
//   an allocation row, a purchase for i % 3 = 0, a negative adjustment for i % 13 = 0, and a
//   row of the unknown legacy type 'bonus' for i % 17 = 0;
//   tasks: one completed ('succeeded' for i % 11 = 0), one failed without refund, one failed
//   with its refund, and for i % 4 = 0 one stuck 'processing' since two hours, each charged;
//   a stored balance equal to the rows' sum, except for i % 5 = 0 where it is off by i % 7
//   (the opening-balance adjustment must explain it);
// and one credit_purchase_requests row per 100 users (the fake pool refills, to be archived).
import type postgres from 'postgres';

export async function loadLegacyFixture(sql: postgres.Sql, users: number): Promise<void> {
  await sql.unsafe(`
    create temp table fixture_users as
    select i, md5('legacy-user-' || i)::uuid as user_id,
           case when i % 97 = 0 then 'enterprise' when i % 10 = 9 then 'pro' when i % 10 >= 6 then 'basic' else 'free' end as tier,
           case when i % 97 = 0 then 2000 when i % 10 = 9 then 500 when i % 10 >= 6 then 100 else 10 end as allowance
      from generate_series(1, ${Number(users)}) i;

    create temp table fixture_tasks as
    select u.i, u.user_id, md5('legacy-task-' || u.i || '-' || j)::uuid as id, j,
           case j when 1 then (case when u.i % 11 = 0 then 'succeeded' else 'completed' end)
                  when 2 then 'failed' when 3 then 'failed' else 'processing' end as status,
           1 + (u.i + j) % 3 as credits,
           now() - make_interval(days => (u.i % 90) + 1, hours => j) as created_at
      from fixture_users u
      cross join generate_series(1, 4) j
     where j < 4 or u.i % 4 = 0;

    insert into enhancement_tasks (id, user_id, task_type, provider, status, credits_used, external_task_id,
                                   error_message, result_url, created_at, updated_at, completed_at)
    select id, user_id, (array['enhance', 'upscale', 'remove-background'])[1 + i % 3],
           (array['wavespeed', 'nanobanana'])[1 + i % 2], status, credits, 'ext-' || id,
           case when status = 'failed' then 'provider error ' || (i % 5) end,
           case when status in ('completed', 'succeeded') then 'https://cdn.example/' || id || '.png' end,
           created_at,
           case when status = 'processing' then now() - interval '2 hours' else created_at + interval '1 minute' end,
           case when status <> 'processing' then created_at + interval '1 minute' end
      from fixture_tasks;

    insert into credit_transactions (user_id, amount, type, description, task_id, provider, created_at)
    select user_id, allowance, 'allocation', 'monthly allocation', null::uuid, null::text, now() - interval '95 days' from fixture_users
    union all
    select user_id, 50, 'purchase', 'credit pack', null, null, now() - interval '60 days' from fixture_users where i % 3 = 0
    union all
    select user_id, -2, 'adjustment', 'support correction', null, null, now() - interval '30 days' from fixture_users where i % 13 = 0
    union all
    select user_id, 5, 'bonus', 'referral bonus', null, null, now() - interval '20 days' from fixture_users where i % 17 = 0
    union all
    select user_id, -credits, 'usage', 'generation', id, 'wavespeed', created_at from fixture_tasks
    union all
    select user_id, credits, 'refund', 'refund for failed generation', id, 'wavespeed', created_at + interval '2 minutes'
      from fixture_tasks where j = 3;

    insert into user_credits (user_id, tier, credits, monthly_allowance, credits_used_this_month, last_allocation_at, created_at)
    select u.user_id, u.tier,
           greatest(coalesce(s.total, 0), 0) + case when u.i % 5 = 0 then u.i % 7 else 0 end,
           u.allowance, u.i % 4, now() - interval '95 days', now() - interval '100 days'
      from fixture_users u
      left join (select user_id, sum(amount) total from credit_transactions group by user_id) s using (user_id);

    insert into credit_purchase_requests (provider, amount, status, requested_by, created_at)
    select (array['wavespeed', 'nanobanana'])[1 + i % 2], 1000 * (1 + i % 3),
           (array['pending', 'approved', 'rejected'])[1 + i % 3], user_id, now() - make_interval(days => i % 60)
      from fixture_users where i % 100 = 0;

    drop table fixture_users, fixture_tasks;
  `);
}
