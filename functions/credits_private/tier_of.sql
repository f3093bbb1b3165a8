-- tier_of: the credit_tiers row of a tier, or the one refusal of a tier that does not exist
-- (CR003, the known tiers in DETAIL), for ensure_credit_account and change_tier.
-- Errors: CR003 unknown tier.
create or replace function credits_private.tier_of(p_tier text)
returns public.credit_tiers
language plpgsql
stable
set search_path to pg_catalog, pg_temp
as $$
declare
  v_tier public.credit_tiers;
begin
  select t.* into v_tier from public.credit_tiers t where t.tier = p_tier;
  if not found then
    raise exception using errcode = 'CR003',
      message = 'unknown tier',
      detail = format('p_tier was %L; known tiers: %s.', p_tier,
                      (select string_agg(t.tier, ', ' order by t.tier) from public.credit_tiers t)),
      hint = 'Pass one of the tiers in credit_tiers.';
  end if;
  return v_tier;
end;
$$;

comment on function credits_private.tier_of(text) is 'The credit_tiers row of a tier; CR003 when there is none.';
revoke all on function credits_private.tier_of(text) from public;
