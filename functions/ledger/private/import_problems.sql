-- import_problems: what is wrong with the rows of import p_import_id waiting in
-- credits_private.credit_import_rows, every problem at once, by line: a missing user id, an
-- unknown tier, a negative or absurd amount (over 10^12), promotional credits without an expiry
-- or with one that has passed, a user on two lines, and a user this import id already brought
-- with other figures (both named). No row: the import may run. Used by `credits import` (and
-- import_balances refuses while there is any).
create or replace function credits_private.import_problems(p_import_id text)
returns table (line bigint, user_id uuid, problem text)
language sql
stable
set search_path to pg_catalog, pg_temp
as $$
  with rows as (
    select r.*, count(*) over (partition by r.user_id) as copies
      from credits_private.credit_import_rows r
     where r.import_id = p_import_id
  )
  select r.line, r.user_id, p.problem
    from rows r
    left join public.credit_tiers t on t.tier = r.tier
    left join credits_private.credit_imports i on i.import_id = p_import_id and i.user_id = r.user_id
   cross join lateral (values
     (case when r.user_id is null then 'user_id is missing' end),
     (case when r.tier is null then 'tier is missing' when t.tier is null then format('unknown tier %L', r.tier) end),
     (case when least(r.monthly, r.purchased, r.promotional) < 0
           then format('negative amount (monthly %s, purchased %s, promotional %s)', r.monthly, r.purchased, r.promotional) end),
     (case when greatest(r.monthly, r.purchased, r.promotional) > 1000000000000
           then 'an amount over 1,000,000,000,000 credits' end),
     (case when r.promotional > 0 and r.promotional_expires_at is null then 'promotional credits need an expiry'
           when r.promotional > 0 and r.promotional_expires_at <= now()
           then format('the promotional expiry %s has passed', r.promotional_expires_at) end),
     (case when r.user_id is not null and r.copies > 1 then format('user %s is on %s lines', r.user_id, r.copies) end),
     (case when i.user_id is not null
            and (i.monthly_credits, i.purchased_credits, i.promotional_credits, i.promotional_expires_at, i.tier)
                is distinct from (r.monthly, r.purchased, r.promotional,
                                  case when r.promotional > 0 then r.promotional_expires_at end, r.tier)
           then format('import %s already brought user %s: %s monthly, %s purchased, %s promotional (tier %s); this line says %s, %s, %s (tier %s)',
                       p_import_id, r.user_id, i.monthly_credits, i.purchased_credits, i.promotional_credits, i.tier,
                       r.monthly, r.purchased, r.promotional, r.tier) end)
   ) p(problem)
   where p.problem is not null
   order by r.line, p.problem;
$$;

comment on function credits_private.import_problems(text) is
  'Every problem of the rows an import is reading, by line; none: it may run.';
revoke all on function credits_private.import_problems(text) from public;
