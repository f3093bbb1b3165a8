-- credit_transaction_is_valid: the integrity rule of a ledger row, called by the CHECK
-- constraint credit_transactions_row_check: the known types and origins, each type's sign, the
-- monthly bucket's part inside the amount. True, or a check_violation naming the broken rule.
-- The rule in force: a deploy applies a change to the rows written from then on; a rule that
-- rows already stored may break needs a migration that checks them (CONTRIBUTING.md).
create or replace function credits_private.credit_transaction_is_valid(
  type text, origin text, amount bigint, monthly_amount bigint)
returns boolean
language plpgsql
immutable
set search_path to pg_catalog, pg_temp
as $$
declare
  broken integer := case
    when not (type in ('usage', 'refund', 'allocation', 'expiration', 'purchase', 'adjustment', 'tier_upgrade', 'revocation')) then 1
    when not (origin in ('legacy', 'rpc', 'sweeper', 'adoption', 'backfill', 'settlement')) then 2
    -- rows the package writes have the sign of their type and a bucket split inside the amount
    when not (origin = 'legacy'
              or (amount < 0 and type in ('usage', 'expiration', 'revocation'))
              or (amount > 0 and type in ('refund', 'allocation', 'purchase', 'tier_upgrade'))
              or (amount <> 0 and type = 'adjustment')) then 3
    when not (monthly_amount between least(amount, 0) and greatest(amount, 0)) then 4
  end;
begin
  if broken is null then
    return true;
  end if;
  raise exception using errcode = 'check_violation', table = 'credit_transactions',
    constraint = 'credit_transactions_row_check', message = 'credit_transactions row refused: ' || case broken
      when 1 then format('type must be usage, refund, allocation, expiration, purchase, adjustment, tier_upgrade or revocation, not %L', type)
      when 2 then format('origin must be legacy, rpc, sweeper, adoption, backfill or settlement, not %L', origin)
      when 3 then format('amount %s has the wrong sign for type %L', amount, type)
      else format('monthly_amount %s must lie between 0 and amount %s', monthly_amount, amount)
    end;
end;
$$;

revoke all on function credits_private.credit_transaction_is_valid(text, text, bigint, bigint) from public;
