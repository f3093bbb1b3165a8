-- run_monthly_allocation: deprecated, the former name of allocate_monthly_credits_in_batches
-- (every batch job's draining procedure is named after the job), kept for one release: the same
-- arguments, the same NOTICE. Schedules written with it keep working; write new ones with the
-- new name.
-- SECURITY INVOKER and no pinned search_path, like the procedure it calls (a COMMIT inside needs
-- both), so it can do nothing its caller cannot.
create or replace procedure public.run_monthly_allocation(
  p_period_start date default null,
  p_max_duration interval default '15 minutes'
)
language plpgsql
as $$
begin
  call public.allocate_monthly_credits_in_batches(p_period_start, p_max_duration);
end;
$$;

comment on procedure public.run_monthly_allocation(date, interval) is
  'Deprecated: allocate_monthly_credits_in_batches, under its former name (kept for one release).';
revoke all on procedure public.run_monthly_allocation(date, interval) from public, anon, authenticated;
grant execute on procedure public.run_monthly_allocation(date, interval) to credits_service;
