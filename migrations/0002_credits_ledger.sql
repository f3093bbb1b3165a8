-- Up Migration
-- The refund-safe ledger (contract §2, §5, §8) on top of the legacy baseline.
--
-- Adoption rules, applied to whatever rows the database already holds:
--   * every legacy balance moves into the purchased bucket (purchased credits never expire,
--     so nobody loses a credit at the next period change); user_credits.credits is unchanged;
--   * legacy rows keep their values and are marked origin = 'legacy';
--   * a user whose legacy ledger rows do not sum to the stored balance gets one labelled
--     'adjustment' row (origin 'adoption') for the difference: never a silent balance change;
--   * legacy statuses and transaction types outside the contract's vocabulary are mapped, and
--     the original value is kept (legacy_status in metadata, legacy_type on the row).
-- The down migration saves every added column into schema archive before dropping it, and
-- the next up restores from there: rolling back and forth loses and duplicates nothing.

-- Refuse data that would break an invariant about to be enforced, naming the rows.
do $$
declare
  v_found text;
begin
  select string_agg(format('%s (credits %s, used this month %s, allowance %s)',
                           user_id, credits, credits_used_this_month, monthly_allowance), '; ')
    into v_found
    from (select * from public.user_credits
           where credits < 0 or credits_used_this_month < 0 or monthly_allowance < 0
           order by user_id limit 20) bad;
  if v_found is not null then
    raise exception using errcode = 'CR003',
      message = 'cannot adopt: user_credits holds negative balances or counters',
      detail = v_found,
      hint = 'Settle these accounts (record an adjustment row and correct the balance), then migrate again.';
  end if;

  select string_agg(format('task %s has %s %s rows', task_id, n, type), '; ')
    into v_found
    from (select task_id, type, count(*) n from public.credit_transactions
           where task_id is not null and type in ('usage', 'refund')
           group by 1, 2 having count(*) > 1 order by 1 limit 20) dup;
  if v_found is not null then
    raise exception using errcode = 'CR003',
      message = 'cannot adopt: a task has several usage or several refund rows',
      detail = v_found,
      hint = 'A task is charged and refunded at most once; merge the duplicate rows, then migrate again.';
  end if;

  select string_agg(format('provider %s external id %s used by %s tasks', provider, external_task_id, n), '; ')
    into v_found
    from (select provider, external_task_id, count(*) n from public.enhancement_tasks
           where external_task_id is not null group by 1, 2 having count(*) > 1 order by 1, 2 limit 20) dup;
  if v_found is not null then
    raise exception using errcode = 'CR003',
      message = 'cannot adopt: an external task id is used by several tasks of one provider',
      detail = v_found,
      hint = 'Clear the external_task_id of the stale duplicates, then migrate again.';
  end if;

  select string_agg(format('%s (%s tasks)', coalesce(status, 'null'), n), '; ')
    into v_found
    from (select status, count(*) n from public.enhancement_tasks
           where lower(status) not in ('pending', 'queued', 'created', 'new',
                                       'processing', 'running', 'in_progress', 'submitted',
                                       'completed', 'succeeded', 'success', 'done',
                                       'failed', 'error', 'errored', 'cancelled', 'canceled',
                                       'timeout', 'timed_out')
           group by 1 order by 1 limit 20) unknown;
  if v_found is not null then
    raise exception using errcode = 'CR003',
      message = 'cannot adopt: enhancement_tasks holds statuses with no known meaning',
      detail = v_found,
      hint = 'Map them to pending, processing, completed or failed, then migrate again.';
  end if;
end;
$$;

-- Roles (contract §8): created where missing, so the package installs on plain PostgreSQL as on
-- Supabase. Roles are cluster-wide and shared with other databases: the down migration keeps them.
do $$
declare
  v_role text;
begin
  foreach v_role in array array['credits_service', 'credits_analyst', 'anon', 'authenticated'] loop
    if not exists (select 1 from pg_catalog.pg_roles where rolname = v_role) then
      begin
        execute format('create role %I nologin', v_role);
      exception when duplicate_object or unique_violation then
        null; -- another session created it at the same moment
      end;
    end if;
  end loop;
end;
$$;

-- Supabase's service_role gets what credits_service may do, by membership.
do $$
begin
  if exists (select 1 from pg_catalog.pg_roles where rolname = 'service_role') then
    begin
      grant credits_service to service_role;
    exception when unique_violation then
      null; -- a deploy to another database of the cluster granted it at the same moment
    end;
  end if;
end;
$$;

-- The installer's default privileges are not the package's to change (they are global): each
-- function the package creates revokes EXECUTE from PUBLIC itself, in the transaction that
-- creates it. (Releases before issue 22 ran a global `alter default privileges revoke execute on
-- functions from public` here, and 0008 a grant back: see docs/operations.md.)

create schema credits_private;
comment on schema credits_private is 'Internal helpers of the credits ledger; not an API.';
revoke all on schema credits_private from public;

-- Tiers and prices are data (contract §2).
create table public.credit_tiers (
  tier text primary key constraint credit_tiers_tier_check check (length(tier) between 1 and 64),
  monthly_allowance integer not null
    constraint credit_tiers_monthly_allowance_check check (monthly_allowance between 0 and 100000000),
  description text,
  created_at timestamptz not null default now()
);
comment on table public.credit_tiers is 'Account tiers and the monthly credits each is granted.';

insert into public.credit_tiers (tier, monthly_allowance, description)
values ('free', 10, 'Free tier'), ('basic', 100, 'Basic plan'), ('pro', 500, 'Pro plan');

-- Tiers found in legacy accounts become data too, with the largest allowance they carried.
insert into public.credit_tiers (tier, monthly_allowance, description)
select tier, max(monthly_allowance), 'adopted from legacy user_credits'
  from public.user_credits
 group by tier
on conflict (tier) do nothing;

create table public.provider_prices (
  provider text not null constraint provider_prices_provider_check check (length(provider) between 1 and 100),
  model text not null constraint provider_prices_model_check check (length(model) between 1 and 200),
  cost_usd numeric(12,6) not null constraint provider_prices_cost_usd_check check (cost_usd >= 0),
  effective_from timestamptz not null default now(),
  constraint provider_prices_pkey primary key (provider, model, effective_from)
);
comment on table public.provider_prices is
  'What the platform pays a provider per call of a model, from effective_from on.';

-- Accounts: two buckets whose sum is the legacy credits column.
alter table public.user_credits
  add column monthly_credits integer not null default 0,
  add column purchased_credits integer not null default 0,
  add column period_start date;

update public.user_credits
   set purchased_credits = credits,
       period_start = date_trunc('month', last_allocation_at at time zone 'UTC')::date;

alter table public.user_credits
  add constraint user_credits_buckets_check check (credits = monthly_credits + purchased_credits),
  -- One expression for all five: PostgreSQL 15 re-reads every check expression on every
  -- statement, and this row is updated by every charge.
  add constraint user_credits_nonnegative_check
    check (least(credits, monthly_credits, purchased_credits, credits_used_this_month, monthly_allowance) >= 0),
  add constraint user_credits_period_start_check check (extract(day from period_start) = 1),
  add constraint user_credits_tier_fkey foreign key (tier) references public.credit_tiers (tier);
create index user_credits_tier_idx on public.user_credits (tier);

-- Tasks: what the contract records besides the legacy columns. A constant default on a new
-- column costs no table rewrite: existing rows read origin 'legacy', new ones get 'rpc'.
alter table public.enhancement_tasks
  add column model text,
  add column provider_cost_usd numeric(12,6),
  add column failure_source text,
  add column submitted_at timestamptz,
  add column idempotency_key text,
  add column metadata jsonb not null default '{}',
  add column origin text not null default 'legacy';
alter table public.enhancement_tasks alter column origin set default 'rpc';

update public.enhancement_tasks
   set metadata = jsonb_build_object('legacy_status', status),
       status = case
         when lower(status) in ('pending', 'queued', 'created', 'new') then 'pending'
         when lower(status) in ('processing', 'running', 'in_progress', 'submitted') then 'processing'
         when lower(status) in ('completed', 'succeeded', 'success', 'done') then 'completed'
         else 'failed' end
 where status not in ('pending', 'processing', 'completed', 'failed');

alter table public.enhancement_tasks
  add constraint enhancement_tasks_status_check
    check (status in ('pending', 'processing', 'completed', 'failed')),
  add constraint enhancement_tasks_failure_source_check
    check (failure_source in ('callback', 'api_error', 'timeout', 'admin')),
  add constraint enhancement_tasks_credits_used_check check (credits_used >= 0),
  add constraint enhancement_tasks_provider_cost_usd_check check (provider_cost_usd >= 0),
  add constraint enhancement_tasks_origin_check check (origin in ('legacy', 'rpc')),
  add constraint enhancement_tasks_metadata_check check (jsonb_typeof(metadata) = 'object'),
  -- tasks the package runs finish with a timestamp, and only failures carry a source
  add constraint enhancement_tasks_finished_check check (
    origin = 'legacy'
    or ((status in ('completed', 'failed')) = (completed_at is not null)
        and (failure_source is null or status = 'failed')));

create unique index enhancement_tasks_provider_external_task_id_key
  on public.enhancement_tasks (provider, external_task_id) where external_task_id is not null;
create unique index enhancement_tasks_user_id_idempotency_key_key
  on public.enhancement_tasks (user_id, idempotency_key) where idempotency_key is not null;
create index enhancement_tasks_user_id_created_at_idx
  on public.enhancement_tasks (user_id, created_at);
-- No index involves a column that a transition changes (status, updated_at, completed_at):
-- completing or failing a task is then a HOT update, written in place without a new entry in
-- every index (measured: +21 % lifecycles/s, and less storage). The sweeper finds in-flight
-- tasks from a low-water mark of created_at instead (below).
create index enhancement_tasks_created_at_brin on public.enhancement_tasks using brin (created_at);

-- The sweeper's low-water mark: no task created before `since` is still in flight. It starts at
-- -infinity (the first sweep reads every task once) and only moves forward.
create table credits_private.sweeper_state (
  name text primary key,
  since timestamptz not null
);
insert into credits_private.sweeper_state values ('sweeper', '-infinity');

-- Ledger: the bucket split of each row, the balance after it, and where it came from.
alter table public.credit_transactions
  add column monthly_amount integer not null default 0,
  add column balance_after integer,
  add column period_start date,
  add column idempotency_key text,
  add column legacy_type text,
  add column origin text not null default 'legacy';
alter table public.credit_transactions alter column origin set default 'rpc';

update public.credit_transactions
   set legacy_type = type, type = 'adjustment'
 where type not in ('usage', 'allocation', 'purchase', 'refund', 'adjustment', 'expiration');

alter table public.credit_transactions
  add constraint credit_transactions_type_check
    check (type in ('usage', 'refund', 'allocation', 'expiration', 'purchase', 'adjustment')),
  add constraint credit_transactions_origin_check
    check (origin in ('legacy', 'rpc', 'adoption', 'backfill')),
  -- rows the package writes have the sign of their type and a bucket split inside the amount
  add constraint credit_transactions_amount_check check (
    origin = 'legacy'
    or (amount < 0 and type in ('usage', 'expiration'))
    or (amount > 0 and type in ('refund', 'allocation', 'purchase'))
    or (amount <> 0 and type = 'adjustment')),
  add constraint credit_transactions_monthly_amount_check
    check (monthly_amount between least(amount, 0) and greatest(amount, 0));
-- No foreign key to user_credits: every function writes a ledger row in the statement that
-- locks (or creates) that account, and the FK's extra lookup per row cost 12 % of the hot
-- path's CPU (measured with perf). verify_ledger() reports ledger rows without an account.

-- At most one charge and one refund per task (contract §5.3), whatever the code does.
create unique index credit_transactions_task_id_type_key
  on public.credit_transactions (task_id, type)
  where task_id is not null and type in ('usage', 'refund');
create unique index credit_transactions_user_id_idempotency_key_key
  on public.credit_transactions (user_id, idempotency_key)
  where idempotency_key is not null and type = 'purchase';
create unique index credit_transactions_user_id_period_start_type_key
  on public.credit_transactions (user_id, period_start, type)
  where type in ('allocation', 'expiration') and origin <> 'legacy';
create index credit_transactions_user_id_created_at_idx
  on public.credit_transactions (user_id, created_at);

-- Restore what an earlier down migration saved (see the down section), then reconcile.
do $$
begin
  if to_regclass('archive.m0002_user_credits') is not null then
    update public.user_credits uc
       set monthly_credits = least(a.monthly_credits, uc.credits),
           purchased_credits = uc.credits - least(a.monthly_credits, uc.credits),
           period_start = a.period_start
      from archive.m0002_user_credits a
     where a.user_id = uc.user_id;
    update public.enhancement_tasks t
       set model = a.model, provider_cost_usd = a.provider_cost_usd, failure_source = a.failure_source,
           submitted_at = a.submitted_at, idempotency_key = a.idempotency_key,
           metadata = a.metadata, origin = a.origin
      from archive.m0002_enhancement_tasks a
     where a.id = t.id;
    update public.credit_transactions ct
       set monthly_amount = a.monthly_amount, balance_after = a.balance_after,
           period_start = a.period_start, idempotency_key = a.idempotency_key,
           legacy_type = a.legacy_type, origin = a.origin, type = a.type
      from archive.m0002_credit_transactions a
     where a.id = ct.id;
    insert into public.credit_tiers select * from archive.m0002_credit_tiers on conflict (tier) do update
      set monthly_allowance = excluded.monthly_allowance, description = excluded.description;
    insert into public.provider_prices select * from archive.m0002_provider_prices on conflict do nothing;
    drop table archive.m0002_user_credits, archive.m0002_enhancement_tasks,
      archive.m0002_credit_transactions, archive.m0002_credit_tiers, archive.m0002_provider_prices;
  end if;
end;
$$;

-- Ledger rows of users without an account: open a zero account so that the opening balance
-- below can explain them (the ledger must belong to an account).
insert into public.user_credits (user_id, tier, credits, purchased_credits)
select distinct ct.user_id, 'free', 0, 0
  from public.credit_transactions ct
 where not exists (select 1 from public.user_credits uc where uc.user_id = ct.user_id);

-- Opening balances: one labelled row per account whose ledger does not explain its balance.
-- The legacy balance is all purchased credits, so the difference is in that bucket.
insert into public.credit_transactions (user_id, amount, monthly_amount, type, description, balance_after, origin)
select uc.user_id, uc.credits - coalesce(l.total, 0), uc.monthly_credits - coalesce(l.monthly, 0), 'adjustment',
       format('opening balance at adoption: stored balance %s, ledger rows summed to %s',
              uc.credits, coalesce(l.total, 0)),
       uc.credits, 'adoption'
  from public.user_credits uc
  left join (select user_id, sum(amount) total, sum(monthly_amount) monthly
               from public.credit_transactions group by user_id) l using (user_id)
 where uc.credits <> coalesce(l.total, 0);

-- Row-level security (contract §8): end users read their own rows, the service reads all.
alter table public.user_credits enable row level security;
alter table public.credit_transactions enable row level security;
alter table public.enhancement_tasks enable row level security;
alter table public.credit_tiers enable row level security;
alter table public.provider_prices enable row level security;

-- The JWT subject, as PostgREST sets it; evaluated once per statement thanks to the sub-select.
create policy user_credits_select_own on public.user_credits for select to authenticated
  using (user_id = (select nullif(nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub', '')::uuid));
create policy credit_transactions_select_own on public.credit_transactions for select to authenticated
  using (user_id = (select nullif(nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub', '')::uuid));
create policy enhancement_tasks_select_own on public.enhancement_tasks for select to authenticated
  using (user_id = (select nullif(nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub', '')::uuid));

create policy user_credits_select_service on public.user_credits for select to credits_service using (true);
create policy credit_transactions_select_service on public.credit_transactions for select to credits_service using (true);
create policy enhancement_tasks_select_service on public.enhancement_tasks for select to credits_service using (true);
create policy credit_tiers_select_service on public.credit_tiers for select to credits_service using (true);
create policy provider_prices_select_service on public.provider_prices for select to credits_service using (true);

-- Supabase grants everything in public to anon and authenticated by default: take it back.
revoke all on public.user_credits, public.credit_transactions, public.enhancement_tasks,
  public.credit_tiers, public.provider_prices from public, anon, authenticated;
grant select on public.user_credits, public.credit_transactions, public.enhancement_tasks
  to authenticated, credits_service;
grant select on public.credit_tiers, public.provider_prices to credits_service;
revoke execute on function public.consume_platform_credits(text, integer) from public, anon, authenticated;

-- Down Migration
-- Saves every column and table this migration added into schema archive, then removes them.
-- The next up restores them from there.
drop policy if exists user_credits_select_own on public.user_credits;
drop policy if exists credit_transactions_select_own on public.credit_transactions;
drop policy if exists enhancement_tasks_select_own on public.enhancement_tasks;
drop policy if exists user_credits_select_service on public.user_credits;
drop policy if exists credit_transactions_select_service on public.credit_transactions;
drop policy if exists enhancement_tasks_select_service on public.enhancement_tasks;
alter table public.user_credits disable row level security;
alter table public.credit_transactions disable row level security;
alter table public.enhancement_tasks disable row level security;
grant execute on function public.consume_platform_credits(text, integer) to public;

create schema if not exists archive;
revoke all on schema archive from public;
drop table if exists archive.m0002_user_credits, archive.m0002_enhancement_tasks,
  archive.m0002_credit_transactions, archive.m0002_credit_tiers, archive.m0002_provider_prices;

create table archive.m0002_user_credits as
  select user_id, monthly_credits, purchased_credits, period_start from public.user_credits;
create table archive.m0002_enhancement_tasks as
  select id, model, provider_cost_usd, failure_source, submitted_at, idempotency_key, metadata, origin
    from public.enhancement_tasks;
create table archive.m0002_credit_transactions as
  select id, type, monthly_amount, balance_after, period_start, idempotency_key, legacy_type, origin
    from public.credit_transactions;
create table archive.m0002_credit_tiers as select * from public.credit_tiers;
create table archive.m0002_provider_prices as select * from public.provider_prices;

alter table public.credit_transactions
  drop constraint credit_transactions_type_check,
  drop constraint credit_transactions_origin_check,
  drop constraint credit_transactions_amount_check,
  drop constraint credit_transactions_monthly_amount_check;
alter table public.enhancement_tasks
  drop constraint enhancement_tasks_status_check,
  drop constraint enhancement_tasks_failure_source_check,
  drop constraint enhancement_tasks_credits_used_check,
  drop constraint enhancement_tasks_provider_cost_usd_check,
  drop constraint enhancement_tasks_origin_check,
  drop constraint enhancement_tasks_metadata_check,
  drop constraint enhancement_tasks_finished_check;

-- Legacy readers see the legacy vocabulary again.
update public.credit_transactions set type = legacy_type where legacy_type is not null;
update public.enhancement_tasks set status = metadata ->> 'legacy_status' where metadata ? 'legacy_status';

alter table public.credit_transactions
  drop column monthly_amount, drop column balance_after, drop column period_start,
  drop column idempotency_key, drop column legacy_type, drop column origin;
drop index if exists public.credit_transactions_user_id_created_at_idx;
drop index if exists public.credit_transactions_task_id_type_key;

alter table public.enhancement_tasks
  drop column model, drop column provider_cost_usd, drop column failure_source,
  drop column submitted_at, drop column idempotency_key, drop column metadata, drop column origin;
drop index if exists public.enhancement_tasks_provider_external_task_id_key;
drop index if exists public.enhancement_tasks_user_id_created_at_idx;
drop index if exists public.enhancement_tasks_created_at_brin;

alter table public.user_credits
  drop constraint user_credits_buckets_check,
  drop constraint user_credits_nonnegative_check,
  drop constraint user_credits_period_start_check,
  drop constraint user_credits_tier_fkey,
  drop column monthly_credits, drop column purchased_credits, drop column period_start;
drop index if exists public.user_credits_tier_idx;

drop table public.provider_prices;
drop table public.credit_tiers;
drop schema credits_private cascade;
