// A production-sized history for the monitoring benchmark: by default 100k users and 2M
// generations over 180 days (about 3.9M ledger rows), three providers and six models, about 4 %
// failures (each refunded), latencies from seconds to minutes, costs from the price table.
// Set-based SQL in chunks, with progress; deterministic (task k is always the same).
// Rows are written straight into the tables, the way the functions would leave them, so that
// every invariant holds afterwards (verify_ledger() is empty).
import type postgres from 'postgres';

export interface ScaleOptions {
  users: number;
  tasks: number;
  days: number;
  chunk?: number;
  onProgress?: (step: string, done: number, total: number) => void;
}

export const defaultScale: ScaleOptions = { users: 100_000, tasks: 2_000_000, days: 180 };

const models = `(values
  (1, 'wavespeed', 'nano-banana', 0.039, 'enhance'),
  (2, 'wavespeed', 'nano-banana-pro', 0.139, 'upscale'),
  (3, 'wavespeed', 'seedream-v4', 0.027, 'remove-background'),
  (4, 'nanobanana', 'nano-banana', 0.035, 'enhance'),
  (5, 'nanobanana', 'nano-banana-edit', 0.045, 'enhance'),
  (6, 'fal', 'flux-dev', 0.025, 'upscale')) as m(n, provider, model, cost, task_type)`;

export async function loadScaleHistory(sql: postgres.Sql, options: ScaleOptions): Promise<void> {
  const { users, tasks, days } = options;
  const chunk = options.chunk ?? 100_000;
  const progress = options.onProgress ?? (() => {});
  const months = Math.ceil(days / 30) + 1;

  await sql.unsafe(`
    insert into provider_prices (provider, model, cost_usd, effective_from)
    select m.provider, m.model, m.cost, now() - interval '1 year' from ${models}
    on conflict do nothing;

    insert into user_credits (user_id, tier, credits, monthly_credits, purchased_credits, monthly_allowance, period_start, last_allocation_at, created_at)
    select md5('scale-user-' || i)::uuid, t.tier, 0, 0, 0, t.monthly_allowance,
           date_trunc('month', now() at time zone 'UTC')::date, date_trunc('month', now() at time zone 'UTC') at time zone 'UTC',
           now() - make_interval(days => ${days})
      from generate_series(1, ${users}) i
      join credit_tiers t on t.tier = (array['free', 'free', 'free', 'free', 'free', 'basic', 'basic', 'basic', 'pro', 'pro'])[1 + i % 10];

    -- Purchases (a pack at sign-up, more for some), then a monthly allowance each month with
    -- the previous month's expiring: only the current month's allowance is left unspent. Staged,
    -- then written with the generations in time order, as a live ledger's rows are (its
    -- created_at index is a BRIN, which a ledger written out of order would defeat).
    drop table if exists scale_account_rows;
    create unlogged table scale_account_rows as
    -- a pack of 1,000, or more when each account generates more (5 credits a generation: every
    -- balance stays positive however long the history)
    select md5('scale-user-' || i)::uuid as user_id, greatest(1000, ceil(${tasks}::numeric / ${users} * 5))::bigint as amount,
           0::bigint as monthly_amount, 'purchase' as type,
           'credit pack' as description, null::date as period_start,
           now() - make_interval(days => ${days}) + make_interval(secs => p * ${days} * 86400 / 15.0) as created_at
      from generate_series(1, ${users}) i, generate_series(0, i % 14) p
    union all
    select u.user_id, x.amount, x.amount, x.type, x.type, x.period, x.period::timestamp at time zone 'UTC'
      from user_credits u
     cross join generate_series(1, ${months - 1}) k
     cross join lateral (select (date_trunc('month', now() at time zone 'UTC') - make_interval(months => k))::date as period) p
     cross join lateral (values ('allocation', u.monthly_allowance, p.period),
                                ('expiration', -u.monthly_allowance, (p.period + interval '1 month')::date)) x(type, amount, period)
     where u.monthly_allowance > 0
    union all
    select u.user_id, u.monthly_allowance, u.monthly_allowance, 'allocation', 'allocation', u.period_start, u.last_allocation_at
      from user_credits u where u.monthly_allowance > 0;
    create index on scale_account_rows (created_at);
  `);
  progress('accounts', users, users);

  for (let from = 1; from <= tasks; from += chunk) {
    const to = Math.min(tasks, from + chunk - 1);
    await sql.unsafe(`
      create temp table scale_tasks on commit drop as
      select md5('scale-task-' || k)::uuid as id,
             md5('scale-user-' || (1 + (k * 7919) % ${users}))::uuid as user_id,
             m.provider, m.model, m.task_type, m.cost,
             1 + (k % 5) as credits,
             -- spread over the history, most recent last; a little jitter
             now() - make_interval(secs => ((${tasks} - k)::float8 / ${tasks}) * ${days} * 86400 + (k % 97)) as created_at,
             case when k % 1000 = 7 then 'in_flight' when k % 100 < 4 then 'failed' when k % 211 = 3 and m.n = 5 then 'failed'
                  else 'completed' end as outcome,
             -- seconds to result: mostly 5-40 s, a tail to minutes
             5 + (k % 35) + case when k % 20 = 0 then (k % 240) else 0 end as latency_s,
             (array['generation failed: content filter', 'provider error 500 (job ' || left(md5(k::text), 12) || ')',
                    'upstream timeout after 120s', 'invalid input image'])[1 + k % 4] as error
        from generate_series(${from}::bigint, ${to}::bigint) k
        join ${models} on m.n = 1 + (k * 31 % 97) % 6;

      insert into enhancement_tasks (id, user_id, task_type, provider, model, status, credits_used, external_task_id,
                                     error_message, failure_source, result_url, provider_cost_usd, metadata, origin,
                                     created_at, submitted_at, updated_at, completed_at)
      select s.id, s.user_id, s.task_type, s.provider, s.model,
             case s.outcome when 'in_flight' then (case when s.created_at > now() - interval '20 minutes' then 'processing' else 'completed' end)
                            else s.outcome end,
             s.credits, 'job-' || s.id,
             case when s.outcome = 'failed' then s.error end,
             case when s.outcome = 'failed' then (array['callback', 'api_error', 'timeout'])[1 + abs(hashtext(s.id::text)) % 3] end,
             case when s.outcome <> 'failed' then 'https://cdn.example/' || s.id || '.png' end,
             case when s.outcome = 'failed' then 0 else s.cost end,
             '{}', 'rpc',
             s.created_at, s.created_at + interval '1 second',
             s.created_at + make_interval(secs => s.latency_s),
             case when s.outcome = 'in_flight' and s.created_at > now() - interval '20 minutes' then null
                  else s.created_at + make_interval(secs => s.latency_s) end
        from scale_tasks s;

      with due as (
        delete from scale_account_rows a where a.created_at <= (select max(s.created_at) from scale_tasks s) returning a.*
      )
      insert into credit_transactions (user_id, amount, monthly_amount, type, description, task_id, provider, created_at, period_start)
      select * from (
        select d.user_id, d.amount, d.monthly_amount, d.type, d.description, null::uuid, null::text, d.created_at, d.period_start
          from due d
        union all
        select s.user_id, -s.credits, 0, 'usage', null, s.id, s.provider, s.created_at,
               date_trunc('month', s.created_at at time zone 'UTC')::date
          from scale_tasks s
        union all
        select s.user_id, s.credits, 0, 'refund', null, s.id, s.provider, s.created_at + make_interval(secs => s.latency_s),
               date_trunc('month', s.created_at at time zone 'UTC')::date
          from scale_tasks s where s.outcome = 'failed'
      ) r order by r.created_at;
    `);
    progress('generations', to, tasks);
  }

  // Balances from the ledger: the current allowance is monthly, the rest purchased.
  await sql.unsafe(`
    insert into credit_transactions (user_id, amount, monthly_amount, type, description, created_at, period_start)
    select a.user_id, a.amount, a.monthly_amount, a.type, a.description, a.created_at, a.period_start
      from scale_account_rows a order by a.created_at;
    drop table scale_account_rows;

    update user_credits u
       set credits = l.total, monthly_credits = u.monthly_allowance, purchased_credits = l.total - u.monthly_allowance
      from (select user_id, sum(amount) total from credit_transactions group by user_id) l
     where l.user_id = u.user_id;
    analyze;
  `);
  progress('balances', users, users);
}
