-- set_auto_top_up: an account's automatic top-up (contract §13). A charge that takes its balance
-- from at or above p_threshold to below it writes one 'top_up_requested' event into the outbox
-- (claim_credit_events) for the credits that bring the balance back to p_target, within what
-- p_monthly_limit leaves of the credits requested this UTC month (null: no monthly limit; when
-- nothing is left, no event). The application charges the customer's saved card, then calls
-- grant_credits with the event's idempotency_key, or decline_top_up when the payment failed. At
-- most one request is open per account: until granted, declined or 24 hours old. All three null
-- turn automatic top-ups off; a request already open stays open, and the month's count is kept
-- (turning them off and on does not reset the limit). The settings take effect at once, for the
-- next charge; a balance already below the new threshold asks for nothing until a charge crosses
-- it again.
-- Result: threshold, target, monthly_limit (null: none; all three null: off), requested_this_month
-- (credits requested in the current UTC month, whatever became of them), open_event_id (the
-- request open, if any).
-- Errors: CR002 no account, CR003 invalid argument (null user; p_threshold outside
-- 1..100,000,000; p_target not above p_threshold or over 100,000,000; p_monthly_limit outside
-- 1..1,000,000,000; a threshold without a target or the other way round, or a limit alone).
-- Null arguments: p_threshold, p_target, p_monthly_limit.
-- Never null: requested_this_month.
-- SECURITY DEFINER: the service role calls it without any privilege on the tables.
create or replace function public.set_auto_top_up(
  p_user_id uuid,
  p_threshold integer,
  p_target integer,
  p_monthly_limit integer,
  out threshold integer,
  out target integer,
  out monthly_limit integer,
  out requested_this_month bigint,
  out open_event_id bigint
)
language plpgsql
volatile
security definer
set search_path to pg_catalog, pg_temp
as $$
#variable_conflict use_column
begin
  perform credits_private.require_present('p_user_id', p_user_id);
  if p_threshold is null and (p_target is not null or p_monthly_limit is not null)
     or p_threshold is not null and p_target is null then
    raise exception using errcode = 'CR003',
      message = 'p_threshold and p_target go together',
      detail = format('p_threshold was %s, p_target %s, p_monthly_limit %s.', coalesce(p_threshold::text, 'null'),
                      coalesce(p_target::text, 'null'), coalesce(p_monthly_limit::text, 'null')),
      hint = 'Pass a threshold and a target (and optionally a monthly limit), or all three null to turn top-ups off.';
  end if;
  if p_threshold is not null then
    perform credits_private.require_between('p_threshold', p_threshold, 1, 100000000, false);
    perform credits_private.require_between('p_target', p_target, p_threshold + 1, 100000000, false,
                                            'The target is the balance a top-up brings the account back to: above the threshold.');
    perform credits_private.require_between('p_monthly_limit', p_monthly_limit, 1, 1000000000, true);
  end if;

  -- the account's lock, as a charge takes it: a charge sees the old settings or the new, whole
  update public.user_credits uc
     set auto_top_up_threshold = p_threshold, updated_at = now()
   where uc.user_id = p_user_id;
  if not found then
    perform credits_private.raise_no_account(p_user_id);
  end if;
  -- the month's count and the open request stay as they are: get_auto_top_up (and a charge's
  -- request_top_up) reads a count of another month as 0 and a request past its 24 hours as closed
  insert into credits_private.auto_top_ups as a (user_id, threshold, target, monthly_limit, month)
  values (p_user_id, p_threshold, p_target, p_monthly_limit, credits_private.current_period())
  on conflict (user_id) do update
     set threshold = excluded.threshold, target = excluded.target, monthly_limit = excluded.monthly_limit,
         updated_at = now();
  select * into threshold, target, monthly_limit, requested_this_month, open_event_id from public.get_auto_top_up(p_user_id);
end;
$$;

comment on function public.set_auto_top_up(uuid, integer, integer, integer) is
  'Sets (or, all null, turns off) an account''s automatic top-up: threshold, target and monthly limit.';
revoke all on function public.set_auto_top_up(uuid, integer, integer, integer) from public, anon, authenticated;
grant execute on function public.set_auto_top_up(uuid, integer, integer, integer) to credits_service;
