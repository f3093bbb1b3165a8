-- Periods are UTC calendar months whatever the session's TimeZone, in every function that
-- starts, reports or checks one.
begin;
set local search_path to public, tap;
select plan(21);

-- Periods are UTC calendar months whatever the session's TimeZone (issue 10, item 2). now() is
-- real: each check compares with the UTC month computed here, so it holds at any time of day,
-- and fails before the fix whenever the session's date differs from UTC's (Kiritimati is UTC+14,
-- Los Angeles UTC-8: on the last or the first day of a month they are in another month).
create temp table p as
  select date_trunc('month', now() at time zone 'UTC')::date as this_month,
         (date_trunc('month', now() at time zone 'UTC') + interval '1 month')::date as next_month,
         (date_trunc('month', now() at time zone 'UTC') - interval '1 month')::date as last_month,
         (now() at time zone 'UTC')::date as today;
grant select on p to public;

-- Per time zone: a new account, an account left in last month, and the checks.
create function pg_temp.utc_checks(p_zone text, p_user uuid, p_idle uuid) returns setof text language plpgsql as $$
begin
  execute format('set local timezone = %L', p_zone);
  return next is((select period_start from ensure_credit_account(p_user, 'basic')), (select this_month from p),
    p_zone || ': a new account starts the UTC month');
  return next is((select period_end from get_credit_balance(p_user)), (select next_month from p),
    p_zone || ': its period ends on the first day of the next UTC month');
  perform ensure_credit_account(p_idle, 'basic');
  update user_credits set period_start = (select last_month from p) where user_id = p_idle;
  update credit_transactions set period_start = (select last_month from p) where user_id = p_idle and period_start is not null;
  return next is((select period_start from get_credit_balance(p_idle)), (select this_month from p),
    p_zone || ': a balance read reports the UTC month');
  perform start_generation(p_idle, 'enhance', 'wavespeed', 'm', 1);
  return next is((select period_start from user_credits where user_id = p_idle), (select this_month from p),
    p_zone || ': a charge starts the UTC month');
  return next is((select period_start from allocate_monthly_credits()), (select this_month from p),
    p_zone || ': the allocation''s default is the UTC month');
  return next throws_ok(format('select allocate_monthly_credits(%L)', (select next_month from p)), 'CR003', null,
    p_zone || ': the next UTC month cannot start before it begins in UTC');
  return next is((select day from monitoring.platform_health), (select today from p),
    p_zone || ': platform health reports the UTC day');
end;
$$;

select * from pg_temp.utc_checks('Pacific/Kiritimati', '00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000c2');
select * from pg_temp.utc_checks('America/Los_Angeles', '00000000-0000-0000-0000-0000000000c3', '00000000-0000-0000-0000-0000000000c4');
select * from pg_temp.utc_checks('UTC', '00000000-0000-0000-0000-0000000000c5', '00000000-0000-0000-0000-0000000000c6');

select * from finish(true);
rollback;
