-- Up Migration
-- The monthly allocation takes accounts in batches, oldest period first (issue 10, item 14):
-- this index finds the next batch without reading the accounts already moved. coalesce puts
-- accounts that never had a period first. period_start changes once a month per account, so
-- charges stay HOT updates.
create index user_credits_period_idx
  on public.user_credits ((coalesce(period_start, '-infinity'::date)), user_id);

-- Down Migration
drop index public.user_credits_period_idx;
