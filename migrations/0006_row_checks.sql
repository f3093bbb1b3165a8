-- Up Migration
-- The integrity rules of 0002, each table's in one CHECK that calls a PL/pgSQL function.
--
-- Why: PostgreSQL 15 reads every CHECK expression back from its stored node text and plans it
-- again in every statement that writes the table. 0002's fourteen expressions were about half
-- of a generation lifecycle's instructions (npm run bench:instructions: 2.13M per start ->
-- submitted -> completed with them, about 1.09M without any check). A call is a small
-- expression to read, and a function body is compiled once per connection: with these checks a
-- lifecycle costs 1.43M.
-- The rule numbers keep the common path to comparisons; the messages are built only on refusal.
-- The rules are exactly 0002's, with the same NULL semantics: a row is refused only when a rule
-- is false. A refusal is SQLSTATE 23514, naming the rule and the offending value.

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

-- One statement per table: the old checks go and the new one is validated in a single scan.
alter table public.enhancement_tasks
  drop constraint enhancement_tasks_status_check,
  drop constraint enhancement_tasks_failure_source_check,
  drop constraint enhancement_tasks_credits_used_check,
  drop constraint enhancement_tasks_provider_cost_usd_check,
  drop constraint enhancement_tasks_origin_check,
  drop constraint enhancement_tasks_metadata_check,
  drop constraint enhancement_tasks_finished_check,
  add constraint enhancement_tasks_row_check check (credits_private.enhancement_task_is_valid(
    status, origin, failure_source, completed_at, credits_used, provider_cost_usd, metadata));

alter table public.credit_transactions
  drop constraint credit_transactions_type_check,
  drop constraint credit_transactions_origin_check,
  drop constraint credit_transactions_amount_check,
  drop constraint credit_transactions_monthly_amount_check,
  add constraint credit_transactions_row_check check (credits_private.credit_transaction_is_valid(
    type, origin, amount, monthly_amount));

alter table public.user_credits
  drop constraint user_credits_buckets_check,
  drop constraint user_credits_nonnegative_check,
  drop constraint user_credits_period_start_check,
  add constraint user_credits_row_check check (credits_private.credit_account_is_valid(
    credits, monthly_credits, purchased_credits, credits_used_this_month, monthly_allowance, period_start));

-- Down Migration
-- 0002's checks again, as 0002 wrote them.

alter table public.enhancement_tasks
  drop constraint enhancement_tasks_row_check,
  add constraint enhancement_tasks_status_check
    check (status in ('pending', 'processing', 'completed', 'failed')),
  add constraint enhancement_tasks_failure_source_check
    check (failure_source in ('callback', 'api_error', 'timeout', 'admin')),
  add constraint enhancement_tasks_credits_used_check check (credits_used >= 0),
  add constraint enhancement_tasks_provider_cost_usd_check check (provider_cost_usd >= 0),
  add constraint enhancement_tasks_origin_check check (origin in ('legacy', 'rpc')),
  add constraint enhancement_tasks_metadata_check check (jsonb_typeof(metadata) = 'object'),
  add constraint enhancement_tasks_finished_check check (
    origin = 'legacy'
    or ((status in ('completed', 'failed')) = (completed_at is not null)
        and (failure_source is null or status = 'failed')));

alter table public.credit_transactions
  drop constraint credit_transactions_row_check,
  add constraint credit_transactions_type_check
    check (type in ('usage', 'refund', 'allocation', 'expiration', 'purchase', 'adjustment')),
  add constraint credit_transactions_origin_check
    check (origin in ('legacy', 'rpc', 'adoption', 'backfill')),
  add constraint credit_transactions_amount_check check (
    origin = 'legacy'
    or (amount < 0 and type in ('usage', 'expiration'))
    or (amount > 0 and type in ('refund', 'allocation', 'purchase'))
    or (amount <> 0 and type = 'adjustment')),
  add constraint credit_transactions_monthly_amount_check
    check (monthly_amount between least(amount, 0) and greatest(amount, 0));

alter table public.user_credits
  drop constraint user_credits_row_check,
  add constraint user_credits_buckets_check check (credits = monthly_credits + purchased_credits),
  add constraint user_credits_nonnegative_check
    check (least(credits, monthly_credits, purchased_credits, credits_used_this_month, monthly_allowance) >= 0),
  add constraint user_credits_period_start_check check (extract(day from period_start) = 1);

drop function credits_private.enhancement_task_is_valid(text, text, text, timestamptz, integer, numeric, jsonb);
drop function credits_private.credit_transaction_is_valid(text, text, integer, integer);
drop function credits_private.credit_account_is_valid(integer, integer, integer, integer, integer, date);
