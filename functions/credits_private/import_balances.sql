-- import_balances: brings the opening balances of import p_import_id, waiting in
-- credits_private.credit_import_rows, into the ledger, in the caller's transaction (`credits
-- import` runs it in the one that read the rows: all or nothing). For each row whose user this
-- import id has not brought yet: the account is created on its tier if missing (this month
-- started, without an allocation: the imported monthly credits are this month's), or locked
-- and started in this month if it was in an earlier one (its tier is kept); then one
-- 'adjustment' ledger row per non-empty bucket (monthly, purchased; origin 'adoption', the
-- import id and p_reason in its description) and the promotional credits as a grant expiring
-- when the row says (a lot, as grant_promotional_credits makes one), and the balance moves by
-- the same amounts. A user this import id already brought with the same figures is skipped.
-- The rows are deleted. p_dry_run: the same summary, nothing written (the rows stay).
-- Result: one row: accounts (rows imported), accounts_created, tiers_kept (existing accounts
-- whose tier differs from the row's), skipped (already imported), monthly, purchased,
-- promotional, total credits.
-- Errors: CR003 while import_problems reports any problem, or p_reason blank.
create or replace function credits_private.import_balances(p_import_id text, p_reason text, p_dry_run boolean default false)
returns table (accounts bigint, accounts_created bigint, tiers_kept bigint, skipped bigint, monthly bigint,
               purchased bigint, promotional bigint, total bigint)
language plpgsql
volatile
set search_path to pg_catalog, pg_temp
as $$
declare
  v_current date := credits_private.current_period();
  v_problems bigint;
  v_due uuid[];
begin
  perform credits_private.require_text('p_import_id', p_import_id, 200);
  perform credits_private.require_text('p_reason', p_reason, 1000);
  -- one import id at a time: a second run of the same import waits, then skips what this one brought
  perform pg_advisory_xact_lock(hashtext('credits import ' || p_import_id));
  select count(*) into v_problems from credits_private.import_problems(p_import_id);
  if v_problems > 0 then
    raise exception using errcode = 'CR003',
      message = format('import %s has %s problems: nothing was imported', p_import_id, v_problems),
      hint = 'credits import reports them by line (credits_private.import_problems, before its rows are rolled back).';
  end if;

  return query
    select count(*) filter (where i.user_id is null), count(*) filter (where i.user_id is null and uc.user_id is null),
           count(*) filter (where i.user_id is null and uc.tier <> r.tier), count(*) filter (where i.user_id is not null),
           coalesce(sum(r.monthly) filter (where i.user_id is null), 0)::bigint,
           coalesce(sum(r.purchased) filter (where i.user_id is null), 0)::bigint,
           coalesce(sum(r.promotional) filter (where i.user_id is null), 0)::bigint,
           coalesce(sum(r.monthly + r.purchased + r.promotional) filter (where i.user_id is null), 0)::bigint
      from credits_private.import_rows(p_import_id) r
      left join credits_private.credit_imports i on i.import_id = p_import_id and i.user_id = r.user_id
      left join public.user_credits uc on uc.user_id = r.user_id;
  if p_dry_run then
    return;
  end if;
  -- What this import id brought already (with the same figures: import_problems saw to that) is
  -- skipped: from here on, the import's rows are the ones to write.
  delete from credits_private.credit_import_rows r
   where r.import_id = p_import_id
     and exists (select 1 from credits_private.credit_imports i where i.import_id = p_import_id and i.user_id = btrim(r.user_id)::uuid);

  -- Existing accounts: locked in user order (as every batch of the package locks them), and
  -- started in this month first if they are in an earlier one, as any write of theirs would.
  -- (An account never allocated, period_start null, is started too: roll_over takes it as due.)
  select array_agg(uc.user_id order by uc.user_id)
           filter (where uc.period_start is null or uc.period_start < v_current) into v_due
    from (select uc.user_id, uc.period_start from public.user_credits uc
           where uc.user_id in (select f.user_id from credits_private.import_rows(p_import_id) f)
           order by uc.user_id for update) uc;
  if v_due is not null then
    perform credits_private.roll_over(v_due, v_current);
  end if;
  -- in user order too: two imports creating the same accounts never wait for each other in a circle
  insert into public.user_credits (user_id, tier, monthly_allowance, period_start, low_balance_threshold, limited_since)
  select f.user_id, f.tier, t.monthly_allowance, v_current, t.low_balance_threshold,
         case when t.max_in_flight is not null or t.daily_credit_limit is not null then clock_timestamp() end
    from credits_private.import_rows(p_import_id) f join public.credit_tiers t on t.tier = f.tier
   order by f.user_id
  on conflict (user_id) do nothing;
  -- every account of the import locked, those another transaction created meanwhile included, so
  -- that no charge moves a balance between the ledger rows' balance_after and the update
  perform 1 from public.user_credits uc
   where uc.user_id in (select f.user_id from credits_private.import_rows(p_import_id) f)
   order by uc.user_id for update;

  -- One ledger row per non-empty bucket, each with the balance after it: the account's balance,
  -- then monthly, purchased, promotional in that order.
  with buckets as (
    select f.user_id, b.bucket, b.amount, f.promotional_expires_at,
           uc.credits + sum(b.amount) over (partition by f.user_id order by b.bucket) as balance_after,
           coalesce(f.promotional_reason, p_reason) as promotional_reason
      from credits_private.import_rows(p_import_id) f
      join public.user_credits uc on uc.user_id = f.user_id
     cross join lateral (values (1, f.monthly), (2, f.purchased), (3, f.promotional)) b(bucket, amount)
     where b.amount > 0
  ), ledger as (
    insert into public.credit_transactions
      (user_id, amount, monthly_amount, promotional_amount, type, origin, description, balance_after, period_start)
    select b.user_id, b.amount, case when b.bucket = 1 then b.amount else 0 end,
           case when b.bucket = 3 then b.amount else 0 end, 'adjustment', 'adoption',
           case b.bucket
             when 1 then format('import %s: %s (monthly credits)', p_import_id, p_reason)
             when 2 then format('import %s: %s (purchased credits)', p_import_id, p_reason)
             else format('import %s: %s, valid until %s', p_import_id, b.promotional_reason,
                         to_char(b.promotional_expires_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI "UTC"'))
           end,
           b.balance_after, case when b.bucket = 1 then v_current end
      from buckets b
    returning id, user_id, promotional_amount
  )
  insert into credits_private.promotional_lots
    (user_id, granted, remaining, valid_for, expires_at, reason, idempotency_key, transaction_id)
  select l.user_id, l.promotional_amount, l.promotional_amount, f.promotional_expires_at - now(), f.promotional_expires_at,
         coalesce(f.promotional_reason, p_reason), 'import:' || p_import_id, l.id
    from ledger l join credits_private.import_rows(p_import_id) f on f.user_id = l.user_id
   where l.promotional_amount > 0;

  update public.user_credits uc
     set credits = uc.credits + f.monthly + f.purchased + f.promotional,
         monthly_credits = uc.monthly_credits + f.monthly,
         purchased_credits = uc.purchased_credits + f.purchased,
         promotional_credits = uc.promotional_credits + f.promotional,
         updated_at = now()
    from credits_private.import_rows(p_import_id) f
   where f.user_id = uc.user_id and f.monthly + f.purchased + f.promotional > 0;

  insert into credits_private.credit_imports
    (import_id, user_id, tier, monthly_credits, purchased_credits, promotional_credits, promotional_expires_at, reason)
  select p_import_id, f.user_id, f.tier, f.monthly, f.purchased, f.promotional,
         case when f.promotional > 0 then f.promotional_expires_at end, p_reason
    from credits_private.import_rows(p_import_id) f;
  delete from credits_private.credit_import_rows r where r.import_id = p_import_id;
end;
$$;

comment on function credits_private.import_balances(text, text, boolean) is
  'Imports the opening balances waiting in credit_import_rows: accounts, one adjustment per bucket, promotional lots.';
revoke all on function credits_private.import_balances(text, text, boolean) from public;
