-- user_activity_weekly: the weekly user trend: users with a generation that ISO week (UTC), of
-- whom new (their first generation ever), generations, and the change in active users from the
-- week before.
-- Never null: week, active_users, new_users, returning_users, generations.
create or replace view monitoring.user_activity_weekly as
select a.week, a.active_users, a.new_users, a.active_users - a.new_users as returning_users, a.generations,
       round(a.generations::numeric / nullif(a.active_users, 0), 2)::float8 as generations_per_user,
       a.active_users - lag(a.active_users) over (order by a.week) as active_users_change
  from monitoring.activity_rollup_weekly a;

comment on view monitoring.user_activity_weekly is 'Active, new and returning users and generations per week.';
revoke all on monitoring.user_activity_weekly from public;
grant select on monitoring.user_activity_weekly to credits_analyst;
