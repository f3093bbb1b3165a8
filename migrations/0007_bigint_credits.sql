-- Up Migration
-- Credit balances, buckets, counters and ledger amounts become bigint (issue 10, item 3).
--
-- Why: with integer columns one account granted past 2^31-1 credits (22 grants of 100,000,000)
-- made every write to its row raise 22003: its failed tasks could never be refunded, and the
-- sweeper and the monthly allocation, which process many accounts in one statement, failed for
-- everyone. bigint leaves no reachable limit (9.2e18), so a refund is always possible.
-- Per-call amounts stay integer (start_generation's p_credits up to 1,000,000, grant_credits'
-- up to 100,000,000; credit_tiers.monthly_allowance up to 100,000,000 by its check).
--
-- Cost: changing a column's type rewrites the table and its indexes under an ACCESS EXCLUSIVE
-- lock (docs/operations.md gives the time per million rows). Each table is rewritten once: the
-- row check is dropped and re-added (with bigint arguments) in the same ALTER TABLE, so it is
-- validated during the rewrite, not in a second scan.
-- Views reading these columns block ALTER ... TYPE: the package's views are dropped here and
-- re-created by the deploy's definitions step right after (src/migrate/definitions.ts re-applies
-- any recorded view that is missing). A view of someone else's that reads our views or these
-- columns stops the migration (2BP01) rather than vanishing.

do $$
declare
  v_views text[];
  v_left text[];
  v_view text;
begin
  if to_regclass('credits_meta.definitions') is null then
    return;  -- a new database: no views yet
  end if;
  select array_agg(regexp_replace(regexp_replace(name, '^views/', ''), '\.sql$', '') order by name)
    into v_views
    from credits_meta.definitions where kind = 'view';
  -- Views read each other: drop in passes until none is left (a view still read by another
  -- waits for the next pass).
  while coalesce(cardinality(v_views), 0) > 0 loop
    v_left := '{}';
    foreach v_view in array v_views loop
      begin
        execute format('drop view if exists %I.%I', split_part(v_view, '/', 1), split_part(v_view, '/', 2));
      exception when dependent_objects_still_exist then
        v_left := v_left || v_view;
      end;
    end loop;
    if cardinality(v_left) = cardinality(v_views) then
      -- only views of someone else's still depend on them: stop, with PostgreSQL's message
      execute format('drop view %I.%I', split_part(v_left[1], '/', 1), split_part(v_left[1], '/', 2));
    end if;
    v_views := v_left;
  end loop;
end;
$$;

create function credits_private.enhancement_task_is_valid(
  status text, origin text, failure_source text, completed_at timestamptz,
  credits_used bigint, provider_cost_usd numeric, metadata jsonb)
returns boolean
language plpgsql
immutable
set search_path to pg_catalog, pg_temp
as $$
declare
  broken integer := case
    when not (status in ('pending', 'processing', 'completed', 'failed')) then 1
    when not (origin in ('legacy', 'rpc')) then 2
    when not (failure_source in ('callback', 'api_error', 'timeout', 'admin')) then 3
    when not (credits_used >= 0) then 4
    when not (provider_cost_usd >= 0) then 5
    when not (jsonb_typeof(metadata) = 'object') then 6
    -- tasks the package runs finish with a timestamp, and only failures carry a source
    when not (origin = 'legacy' or (status in ('completed', 'failed')) = (completed_at is not null)) then 7
    when not (origin = 'legacy' or failure_source is null or status = 'failed') then 8
  end;
begin
  if broken is null then
    return true;
  end if;
  raise exception using errcode = 'check_violation', table = 'enhancement_tasks',
    constraint = 'enhancement_tasks_row_check', message = 'enhancement_tasks row refused: ' || case broken
      when 1 then format('status must be pending, processing, completed or failed, not %L', status)
      when 2 then format('origin must be legacy or rpc, not %L', origin)
      when 3 then format('failure_source must be callback, api_error, timeout or admin, not %L', failure_source)
      when 4 then format('credits_used must not be negative, not %s', credits_used)
      when 5 then format('provider_cost_usd must not be negative, not %s', provider_cost_usd)
      when 6 then format('metadata must be a JSON object, not %s', jsonb_typeof(metadata))
      when 7 then format('completed_at must be set exactly when the task is finished (status %L, completed_at %s)',
                         status, coalesce(completed_at::text, 'null'))
      else format('only a failed task has a failure_source (status %L, failure_source %L)', status, failure_source)
    end;
end;
$$;

create function credits_private.credit_transaction_is_valid(
  type text, origin text, amount bigint, monthly_amount bigint)
returns boolean
language plpgsql
immutable
set search_path to pg_catalog, pg_temp
as $$
declare
  broken integer := case
    when not (type in ('usage', 'refund', 'allocation', 'expiration', 'purchase', 'adjustment')) then 1
    when not (origin in ('legacy', 'rpc', 'adoption', 'backfill')) then 2
    -- rows the package writes have the sign of their type and a bucket split inside the amount
    when not (origin = 'legacy'
              or (amount < 0 and type in ('usage', 'expiration'))
              or (amount > 0 and type in ('refund', 'allocation', 'purchase'))
              or (amount <> 0 and type = 'adjustment')) then 3
    when not (monthly_amount between least(amount, 0) and greatest(amount, 0)) then 4
  end;
begin
  if broken is null then
    return true;
  end if;
  raise exception using errcode = 'check_violation', table = 'credit_transactions',
    constraint = 'credit_transactions_row_check', message = 'credit_transactions row refused: ' || case broken
      when 1 then format('type must be usage, refund, allocation, expiration, purchase or adjustment, not %L', type)
      when 2 then format('origin must be legacy, rpc, adoption or backfill, not %L', origin)
      when 3 then format('amount %s has the wrong sign for type %L', amount, type)
      else format('monthly_amount %s must lie between 0 and amount %s', monthly_amount, amount)
    end;
end;
$$;

create function credits_private.credit_account_is_valid(
  credits bigint, monthly_credits bigint, purchased_credits bigint,
  credits_used_this_month bigint, monthly_allowance bigint, period_start date)
returns boolean
language plpgsql
immutable
set search_path to pg_catalog, pg_temp
as $$
declare
  broken integer := case
    when not (credits = monthly_credits + purchased_credits) then 1
    when not (least(credits, monthly_credits, purchased_credits, credits_used_this_month, monthly_allowance) >= 0) then 2
    when not (extract(day from period_start) = 1) then 3
  end;
begin
  if broken is null then
    return true;
  end if;
  raise exception using errcode = 'check_violation', table = 'user_credits',
    constraint = 'user_credits_row_check', message = 'user_credits row refused: ' || case broken
      when 1 then format('credits %s must equal monthly_credits %s + purchased_credits %s', credits, monthly_credits, purchased_credits)
      when 2 then format('no balance or counter may be negative (credits %s, monthly %s, purchased %s, used this month %s, allowance %s)',
                         credits, monthly_credits, purchased_credits, credits_used_this_month, monthly_allowance)
      else format('period_start must be the first day of a month, not %s', period_start)
    end;
end;
$$;

revoke all on function credits_private.enhancement_task_is_valid(text, text, text, timestamptz, bigint, numeric, jsonb) from public;
revoke all on function credits_private.credit_transaction_is_valid(text, text, bigint, bigint) from public;
revoke all on function credits_private.credit_account_is_valid(bigint, bigint, bigint, bigint, bigint, date) from public;

-- One statement per table: one rewrite, and the new check is validated during it.
alter table public.user_credits
  drop constraint user_credits_row_check,
  alter column credits type bigint,
  alter column monthly_allowance type bigint,
  alter column credits_used_this_month type bigint,
  alter column monthly_credits type bigint,
  alter column purchased_credits type bigint,
  add constraint user_credits_row_check check (credits_private.credit_account_is_valid(
    credits, monthly_credits, purchased_credits, credits_used_this_month, monthly_allowance, period_start));

alter table public.credit_transactions
  drop constraint credit_transactions_row_check,
  alter column amount type bigint,
  alter column monthly_amount type bigint,
  alter column balance_after type bigint,
  add constraint credit_transactions_row_check check (credits_private.credit_transaction_is_valid(
    type, origin, amount, monthly_amount));

alter table public.enhancement_tasks
  drop constraint enhancement_tasks_row_check,
  alter column credits_used type bigint,
  add constraint enhancement_tasks_row_check check (credits_private.enhancement_task_is_valid(
    status, origin, failure_source, completed_at, credits_used, provider_cost_usd, metadata));

drop function credits_private.enhancement_task_is_valid(text, text, text, timestamptz, integer, numeric, jsonb);
drop function credits_private.credit_transaction_is_valid(text, text, integer, integer);
drop function credits_private.credit_account_is_valid(integer, integer, integer, integer, integer, date);

-- Down Migration
-- Back to integer columns, unless a value no longer fits: then refuse (CR005), naming the rows,
-- rather than truncate anyone's credits. The package's functions and views were dropped by
-- `migrate down` before this runs.
do $$
declare
  v_found text;
begin
  select string_agg(what, '; ') into v_found from (
    (select format('user_credits %s (credits %s, monthly %s, purchased %s, used this month %s, allowance %s)',
                   user_id, credits, monthly_credits, purchased_credits, credits_used_this_month, monthly_allowance) what
       from public.user_credits
      where greatest(credits, monthly_credits, purchased_credits, credits_used_this_month, monthly_allowance) > 2147483647
         or least(credits, monthly_credits, purchased_credits, credits_used_this_month, monthly_allowance) < -2147483648
      order by user_id limit 20)
    union all
    (select format('credit_transactions %s of user %s (amount %s, monthly_amount %s, balance_after %s)',
                   id, user_id, amount, monthly_amount, balance_after)
       from public.credit_transactions
      where greatest(amount, monthly_amount, balance_after) > 2147483647
         or least(amount, monthly_amount, balance_after) < -2147483648
      order by id limit 20)
    union all
    (select format('enhancement_tasks %s of user %s (credits_used %s)', id, user_id, credits_used)
       from public.enhancement_tasks
      where credits_used not between -2147483648 and 2147483647
      order by id limit 20)
  ) over_int4;
  if v_found is not null then
    raise exception using errcode = 'CR005',
      message = 'cannot roll back to integer credits: some values exceed the integer range',
      detail = v_found,
      hint = 'These accounts hold more than 2,147,483,647 credits (or ledger rows moved as many); settle them, or stay on this migration.';
  end if;
end;
$$;

create function credits_private.enhancement_task_is_valid(
  status text, origin text, failure_source text, completed_at timestamptz,
  credits_used integer, provider_cost_usd numeric, metadata jsonb)
returns boolean
language plpgsql
immutable
set search_path to pg_catalog, pg_temp
as $$
declare
  broken integer := case
    when not (status in ('pending', 'processing', 'completed', 'failed')) then 1
    when not (origin in ('legacy', 'rpc')) then 2
    when not (failure_source in ('callback', 'api_error', 'timeout', 'admin')) then 3
    when not (credits_used >= 0) then 4
    when not (provider_cost_usd >= 0) then 5
    when not (jsonb_typeof(metadata) = 'object') then 6
    -- tasks the package runs finish with a timestamp, and only failures carry a source
    when not (origin = 'legacy' or (status in ('completed', 'failed')) = (completed_at is not null)) then 7
    when not (origin = 'legacy' or failure_source is null or status = 'failed') then 8
  end;
begin
  if broken is null then
    return true;
  end if;
  raise exception using errcode = 'check_violation', table = 'enhancement_tasks',
    constraint = 'enhancement_tasks_row_check', message = 'enhancement_tasks row refused: ' || case broken
      when 1 then format('status must be pending, processing, completed or failed, not %L', status)
      when 2 then format('origin must be legacy or rpc, not %L', origin)
      when 3 then format('failure_source must be callback, api_error, timeout or admin, not %L', failure_source)
      when 4 then format('credits_used must not be negative, not %s', credits_used)
      when 5 then format('provider_cost_usd must not be negative, not %s', provider_cost_usd)
      when 6 then format('metadata must be a JSON object, not %s', jsonb_typeof(metadata))
      when 7 then format('completed_at must be set exactly when the task is finished (status %L, completed_at %s)',
                         status, coalesce(completed_at::text, 'null'))
      else format('only a failed task has a failure_source (status %L, failure_source %L)', status, failure_source)
    end;
end;
$$;

create function credits_private.credit_transaction_is_valid(
  type text, origin text, amount integer, monthly_amount integer)
returns boolean
language plpgsql
immutable
set search_path to pg_catalog, pg_temp
as $$
declare
  broken integer := case
    when not (type in ('usage', 'refund', 'allocation', 'expiration', 'purchase', 'adjustment')) then 1
    when not (origin in ('legacy', 'rpc', 'adoption', 'backfill')) then 2
    -- rows the package writes have the sign of their type and a bucket split inside the amount
    when not (origin = 'legacy'
              or (amount < 0 and type in ('usage', 'expiration'))
              or (amount > 0 and type in ('refund', 'allocation', 'purchase'))
              or (amount <> 0 and type = 'adjustment')) then 3
    when not (monthly_amount between least(amount, 0) and greatest(amount, 0)) then 4
  end;
begin
  if broken is null then
    return true;
  end if;
  raise exception using errcode = 'check_violation', table = 'credit_transactions',
    constraint = 'credit_transactions_row_check', message = 'credit_transactions row refused: ' || case broken
      when 1 then format('type must be usage, refund, allocation, expiration, purchase or adjustment, not %L', type)
      when 2 then format('origin must be legacy, rpc, adoption or backfill, not %L', origin)
      when 3 then format('amount %s has the wrong sign for type %L', amount, type)
      else format('monthly_amount %s must lie between 0 and amount %s', monthly_amount, amount)
    end;
end;
$$;

create function credits_private.credit_account_is_valid(
  credits integer, monthly_credits integer, purchased_credits integer,
  credits_used_this_month integer, monthly_allowance integer, period_start date)
returns boolean
language plpgsql
immutable
set search_path to pg_catalog, pg_temp
as $$
declare
  broken integer := case
    when not (credits = monthly_credits + purchased_credits) then 1
    when not (least(credits, monthly_credits, purchased_credits, credits_used_this_month, monthly_allowance) >= 0) then 2
    when not (extract(day from period_start) = 1) then 3
  end;
begin
  if broken is null then
    return true;
  end if;
  raise exception using errcode = 'check_violation', table = 'user_credits',
    constraint = 'user_credits_row_check', message = 'user_credits row refused: ' || case broken
      when 1 then format('credits %s must equal monthly_credits %s + purchased_credits %s', credits, monthly_credits, purchased_credits)
      when 2 then format('no balance or counter may be negative (credits %s, monthly %s, purchased %s, used this month %s, allowance %s)',
                         credits, monthly_credits, purchased_credits, credits_used_this_month, monthly_allowance)
      else format('period_start must be the first day of a month, not %s', period_start)
    end;
end;
$$;

revoke all on function credits_private.enhancement_task_is_valid(text, text, text, timestamptz, integer, numeric, jsonb) from public;
revoke all on function credits_private.credit_transaction_is_valid(text, text, integer, integer) from public;
revoke all on function credits_private.credit_account_is_valid(integer, integer, integer, integer, integer, date) from public;

alter table public.user_credits
  drop constraint user_credits_row_check,
  alter column credits type integer,
  alter column monthly_allowance type integer,
  alter column credits_used_this_month type integer,
  alter column monthly_credits type integer,
  alter column purchased_credits type integer,
  add constraint user_credits_row_check check (credits_private.credit_account_is_valid(
    credits, monthly_credits, purchased_credits, credits_used_this_month, monthly_allowance, period_start));

alter table public.credit_transactions
  drop constraint credit_transactions_row_check,
  alter column amount type integer,
  alter column monthly_amount type integer,
  alter column balance_after type integer,
  add constraint credit_transactions_row_check check (credits_private.credit_transaction_is_valid(
    type, origin, amount, monthly_amount));

alter table public.enhancement_tasks
  drop constraint enhancement_tasks_row_check,
  alter column credits_used type integer,
  add constraint enhancement_tasks_row_check check (credits_private.enhancement_task_is_valid(
    status, origin, failure_source, completed_at, credits_used, provider_cost_usd, metadata));

drop function credits_private.enhancement_task_is_valid(text, text, text, timestamptz, bigint, numeric, jsonb);
drop function credits_private.credit_transaction_is_valid(text, text, bigint, bigint);
drop function credits_private.credit_account_is_valid(bigint, bigint, bigint, bigint, bigint, date);
