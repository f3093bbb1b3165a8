-- Up Migration
-- A ledger row's origin says who wrote it (issue 14): the sweeper's refunds
-- (expire_stale_generations) now say 'sweeper' instead of 'rpc', which named the transport.
-- Origins: legacy (the platform before adoption), adoption (the migration's opening rows),
-- rpc (a call of the application: start_generation, fail_generation, grant_credits…),
-- sweeper (expire_stale_generations), backfill (backfill_missing_refunds).
-- Rows written before this migration keep 'rpc': nothing in them tells a sweeper's refund from
-- a fail_generation(p_source => 'timeout') one for sure, and the ledger's history is not
-- rewritten on a guess. Only the row check's list of origins changes: no row is re-read (but
-- the rows a down migration turned back into 'rpc', which it recorded, say 'sweeper' again).
create or replace function credits_private.credit_transaction_is_valid(
  type text, origin text, amount bigint, monthly_amount bigint)
returns boolean
language plpgsql
immutable
set search_path to pg_catalog, pg_temp
as $$
declare
  broken integer := case
    when not (type in ('usage', 'refund', 'allocation', 'expiration', 'purchase', 'adjustment')) then 1
    when not (origin in ('legacy', 'rpc', 'sweeper', 'adoption', 'backfill')) then 2
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
      when 2 then format('origin must be legacy, rpc, sweeper, adoption or backfill, not %L', origin)
      when 3 then format('amount %s has the wrong sign for type %L', amount, type)
      else format('monthly_amount %s must lie between 0 and amount %s', monthly_amount, amount)
    end;
end;
$$;

do $$
begin
  if to_regclass('archive.m0017_sweeper_rows') is not null then
    update public.credit_transactions c set origin = 'sweeper'
      from archive.m0017_sweeper_rows a where a.id = c.id;
    drop table archive.m0017_sweeper_rows;
  end if;
end;
$$;

-- Down Migration
-- The sweeper's rows go back to 'rpc', the origin they had before (archive keeps which they were).
drop table if exists archive.m0017_sweeper_rows;
create table archive.m0017_sweeper_rows as
  select c.id from public.credit_transactions c where c.origin = 'sweeper';
update public.credit_transactions c set origin = 'rpc' where c.origin = 'sweeper';

create or replace function credits_private.credit_transaction_is_valid(
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
