-- require_interval: refuses (CR003) an interval argument that is null, infinite (PostgreSQL 17+)
-- or outside [p_min, p_max]. Intervals compare with a month as 30 days, so a value whose parts
-- cancel ('100000 years -35999990 days' compares as 10 days) can still carry a timestamp out of
-- range: each part is held within 1,000 years as well. p_range says the bounds to a person
-- ('1 second and 1 hour').
-- Errors: CR003.
create or replace function credits_private.require_interval(p_name text, p_value interval, p_min interval, p_max interval, p_range text)
returns void
language plpgsql
immutable
set search_path to pg_catalog, pg_temp
as $$
begin
  if p_value is null or not isfinite(p_value)
     or abs(extract(year from p_value)) > 1000 or abs(extract(day from p_value)) > 366000
     or abs(extract(hour from p_value)) > 8784000
     or p_value < p_min or p_value > p_max then
    raise exception using errcode = 'CR003',
      message = format('%s must be between %s', p_name, p_range),
      detail = format('%s was %s.', p_name, coalesce(p_value::text, 'null')),
      hint = format('Pass an interval between %s.', p_range);
  end if;
end;
$$;

comment on function credits_private.require_interval(text, interval, interval, interval, text) is
  'Raises CR003 unless an interval argument is finite and within its bounds.';
revoke all on function credits_private.require_interval(text, interval, interval, interval, text) from public;
