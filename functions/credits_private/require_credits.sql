-- require_credits: refuses (CR003) a credit amount that is null, zero, negative or absurd.
-- Arguments: p_name, the argument's name for the message; p_value; p_max, the largest accepted.
-- Errors: CR003.
create or replace function credits_private.require_credits(p_name text, p_value integer, p_max integer)
returns void
language plpgsql
immutable
set search_path to pg_catalog, pg_temp
as $$
begin
  if p_value is null or p_value <= 0 or p_value > p_max then
    raise exception using errcode = 'CR003',
      message = format('%s must be a whole number of credits between 1 and %s', p_name, p_max),
      detail = format('%s was %s.', p_name, coalesce(p_value::text, 'null')),
      hint = 'Pass a positive amount of credits.';
  end if;
end;
$$;

comment on function credits_private.require_credits(text, integer, integer) is
  'Raises CR003 when a credit amount is null, not positive or larger than allowed.';
revoke all on function credits_private.require_credits(text, integer, integer) from public;
