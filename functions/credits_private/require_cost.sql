-- require_cost: refuses (CR003) a provider cost in USD that is negative or absurd; null passes
-- (it means "not reported").
-- Errors: CR003.
create or replace function credits_private.require_cost(p_name text, p_value numeric)
returns void
language plpgsql
immutable
set search_path to pg_catalog, pg_temp
as $$
begin
  if p_value < 0 or p_value > 10000 then
    raise exception using errcode = 'CR003',
      message = format('%s must be between 0 and 10000 USD', p_name),
      detail = format('%s was %s.', p_name, p_value),
      hint = 'Pass the provider''s cost of this one call in US dollars, or null when unknown.';
  end if;
end;
$$;

comment on function credits_private.require_cost(text, numeric) is
  'Raises CR003 when a provider cost is negative or above 10000 USD.';
revoke all on function credits_private.require_cost(text, numeric) from public;
