-- require_units: refuses (CR003) a count of units a provider reported (seconds, outputs,
-- megapixels) that is negative or absurd; null passes (it means "not reported").
-- Errors: CR003.
create or replace function credits_private.require_units(p_name text, p_value numeric)
returns void
language plpgsql
immutable
set search_path to pg_catalog, pg_temp
as $$
begin
  if p_value < 0 or p_value > 1000000000 then
    raise exception using errcode = 'CR003',
      message = format('%s must be between 0 and 1000000000', p_name),
      detail = format('%s was %s.', p_name, p_value),
      hint = 'Pass the units the provider reported for this one call (seconds of video, outputs, megapixels), or null.';
  end if;
end;
$$;

comment on function credits_private.require_units(text, numeric) is
  'Raises CR003 when a count of units is negative or above 1e9.';
revoke all on function credits_private.require_units(text, numeric) from public;
