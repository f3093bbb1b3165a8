-- missing_refunds_by_user: the refund audit per user, most credits owed first.
-- Never null: user_id, tasks, credits_owed.
create or replace view monitoring.missing_refunds_by_user as
select m.user_id,
       count(*) as tasks,
       sum(m.credits)::bigint as credits_owed,
       min(m.failed_at) as first_failed_at,
       max(m.failed_at) as last_failed_at
  from monitoring.missing_refunds m
 group by m.user_id;

comment on view monitoring.missing_refunds_by_user is 'Credits owed to each user by failed tasks without a refund.';
revoke all on monitoring.missing_refunds_by_user from public;
grant select on monitoring.missing_refunds_by_user to credits_analyst;
