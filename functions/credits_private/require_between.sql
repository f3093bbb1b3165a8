-- require_between: refuses (CR003) a whole number outside p_min..p_max, or null unless
-- p_nullable. Arguments: p_name, the argument's name for the message; p_value; the bounds;
-- p_hint, what the caller should pass instead (null: none).
-- Errors: CR003.
create or replace function credits_private.require_between(p_name text, p_value integer, p_min integer, p_max integer,
                                                           p_nullable boolean, p_hint text default null)
returns void
language plpgsql
immutable
set search_path to pg_catalog, pg_temp
as $$
declare
  v_message text;
  v_detail text;
begin
  if (p_value is null and not p_nullable) or p_value not between p_min and p_max then
    v_message := format('%s must be between %s and %s%s', p_name, p_min, p_max, case when p_nullable then ', or null' else '' end);
    v_detail := format('%s was %s.', p_name, coalesce(p_value::text, 'null'));
    if p_hint is null then -- RAISE refuses a null option
      raise exception using errcode = 'CR003', message = v_message, detail = v_detail;
    end if;
    raise exception using errcode = 'CR003', message = v_message, detail = v_detail, hint = p_hint;
  end if;
end;
$$;

comment on function credits_private.require_between(text, integer, integer, integer, boolean, text) is
  'Raises CR003 for a whole number outside its range (or null, unless allowed).';
revoke all on function credits_private.require_between(text, integer, integer, integer, boolean, text) from public;
