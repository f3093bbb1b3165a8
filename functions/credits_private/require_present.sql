-- require_present: refuses (CR003) a null argument of any type (ids, intervals, flags).
-- Errors: CR003.
create or replace function credits_private.require_present(p_name text, p_value anyelement)
returns void
language plpgsql
immutable
set search_path to pg_catalog, pg_temp
as $$
begin
  if p_value is null then
    raise exception using errcode = 'CR003',
      message = format('%s is required', p_name),
      detail = format('%s was null.', p_name),
      hint = format('Pass a value for %s.', p_name);
  end if;
end;
$$;

comment on function credits_private.require_present(text, anyelement) is 'Raises CR003 when an argument is null.';
revoke all on function credits_private.require_present(text, anyelement) from public;
