-- import_problems: what is wrong with the rows of import p_import_id waiting in
-- credits_private.credit_import_rows, every problem at once, by line: a user id missing or not a
-- UUID, a tier missing or unknown, an amount that is not a whole number, negative or over 10^12,
-- promotional credits without an expiry, with one that does not parse (ISO 8601) or has passed,
-- a reason over 1,000 characters, a user on two lines, a user this import id already brought
-- with other figures (both named), and an account in debt (contract §13: credits that come in
-- repay a debt first; an opening balance beside a debt would not). A user this import id brought with the same figures is no
-- problem (it is skipped), even if its expiry has passed since. No row: the import may run. Used
-- by `credits import` (and import_balances refuses while there is any).
create or replace function credits_private.import_problems(p_import_id text)
returns table (line bigint, user_id text, problem text)
language sql
stable
set search_path to pg_catalog, pg_temp
as $$
  with rows as (
    select r.user_id as raw_user, r.monthly as raw_monthly, r.purchased as raw_purchased,
           r.promotional as raw_promotional, r.promotional_expires_at as raw_expiry, p.*,
           count(*) over (partition by coalesce(p.user_id::text, r.user_id)) as copies
      from credits_private.credit_import_rows r
      join credits_private.import_rows(p_import_id) p on p.line = r.line
     where r.import_id = p_import_id
  )
  select r.line, coalesce(r.user_id::text, r.raw_user), p.problem
    from rows r
    left join public.credit_tiers t on t.tier = r.tier
    left join credits_private.credit_imports i on i.import_id = p_import_id and i.user_id = r.user_id
    left join credits_private.account_debts d on d.user_id = r.user_id
   cross join lateral (values
     (case when coalesce(btrim(r.raw_user), '') = '' then 'user_id is missing'
           when r.user_id is null then format('user_id %s is not a UUID', r.raw_user) end),
     (case when r.tier is null then 'tier is missing' when t.tier is null then format('unknown tier %L', r.tier) end),
     (case when r.monthly is null then format('monthly %L is not a whole number of credits', r.raw_monthly) end),
     (case when r.purchased is null then format('purchased %L is not a whole number of credits', r.raw_purchased) end),
     (case when r.promotional is null then format('promotional %L is not a whole number of credits', r.raw_promotional) end),
     (case when least(r.monthly, r.purchased, r.promotional) < 0
           then format('negative amount (monthly %s, purchased %s, promotional %s)', r.monthly, r.purchased, r.promotional) end),
     (case when greatest(r.monthly, r.purchased, r.promotional) > 1000000000000
           then 'an amount over 1,000,000,000,000 credits' end),
     (case when coalesce(btrim(r.raw_expiry), '') <> '' and r.promotional_expires_at is null
           then format('promotional_expires_at %L is not an ISO 8601 date and time (2027-03-01T00:00:00Z)', r.raw_expiry)
           when r.promotional > 0 and r.promotional_expires_at is null then 'promotional credits need an expiry'
           when r.promotional > 0 and r.promotional_expires_at <= now() and i.user_id is null
           then format('the promotional expiry %s has passed', r.promotional_expires_at) end),
     (case when length(r.promotional_reason) > 1000 then 'promotional_reason is over 1,000 characters' end),
     (case when r.copies > 1 and coalesce(btrim(r.raw_user), '') <> ''
           then format('user %s is on %s lines', coalesce(r.user_id::text, r.raw_user), r.copies) end),
     (case when i.user_id is not null
            and (i.monthly_credits, i.purchased_credits, i.promotional_credits, i.promotional_expires_at, i.tier)
                is distinct from (r.monthly, r.purchased, r.promotional,
                                  case when r.promotional > 0 then r.promotional_expires_at end, r.tier)
           then format('import %s already brought user %s: %s monthly, %s purchased, %s promotional%s (tier %s); this line says %s, %s, %s%s (tier %s)',
                       p_import_id, r.user_id, i.monthly_credits, i.purchased_credits, i.promotional_credits,
                       coalesce(' expiring ' || i.promotional_expires_at, ''), i.tier, r.monthly, r.purchased, r.promotional,
                       case when r.promotional > 0 then coalesce(' expiring ' || r.promotional_expires_at, '') else '' end,
                       r.tier) end),
     (case when i.user_id is null and d.debt_credits > 0
           then format('user %s owes %s credits (a revocation took more than it held): leave it out, or repay the debt with grant_credits first',
                       r.user_id, d.debt_credits) end)
   ) p(problem)
   where p.problem is not null
   order by r.line, p.problem;
$$;

comment on function credits_private.import_problems(text) is
  'Every problem of the rows an import is reading, by line; none: it may run.';
revoke all on function credits_private.import_problems(text) from public;
