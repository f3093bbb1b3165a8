-- get_auto_top_up: an account's automatic top-up as set_auto_top_up left it, for a billing
-- settings page or a support tool (contract §13): the settings, the credits requested this UTC
-- month and the request open, if any. Reads only: no lock, nothing written.
-- Result: threshold, target, monthly_limit (null: none; all three null: off, or never set),
-- requested_this_month (credits requested in the current UTC month, whatever became of them),
-- open_event_id (the request open: neither granted, declined nor 24 hours old).
-- Errors: CR002 no account, CR003 invalid argument (null user).
-- Never null: requested_this_month.
-- SECURITY DEFINER: the service role calls it without any privilege on the tables.
create or replace function public.get_auto_top_up(
  p_user_id uuid,
  out threshold integer,
  out target integer,
  out monthly_limit integer,
  out requested_this_month bigint,
  out open_event_id bigint
)
language plpgsql
stable
security definer
set search_path to pg_catalog, pg_temp
as $$
begin
  perform credits_private.require_present('p_user_id', p_user_id);
  select a.threshold, a.target, a.monthly_limit,
         case when a.month = credits_private.current_period() then a.requested_credits else 0 end,
         case when a.open_until > now() then a.open_event_id end
    into threshold, target, monthly_limit, requested_this_month, open_event_id
    from public.user_credits uc
    left join credits_private.auto_top_ups a on a.user_id = uc.user_id
   where uc.user_id = p_user_id;
  if not found then
    perform credits_private.raise_no_account(p_user_id);
  end if;
end;
$$;

comment on function public.get_auto_top_up(uuid) is
  'An account''s automatic top-up settings, the credits requested this month and the open request.';
revoke all on function public.get_auto_top_up(uuid) from public, anon, authenticated;
grant execute on function public.get_auto_top_up(uuid) to credits_service;
