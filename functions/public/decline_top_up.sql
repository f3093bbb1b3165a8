-- decline_top_up: the application could not buy what a top-up request asked for (the card was
-- declined, the customer has no saved card): the request closes, so the account's next charge
-- that crosses its threshold may ask again (contract §13). Its credits still count against the
-- month's limit. A request already granted stays granted (the credits were paid for); declining
-- one twice changes nothing; one that lapsed (24 hours unanswered) reads declined. A grant_credits with the request's key after a decline (a retry that
-- went through) still grants, and the request reads granted.
-- Result: event_id, user_id (the account), credits (what it asked for), outcome: 'declined' (this
-- call closed it), 'already_declined' or 'already_granted'.
-- Errors: CR003 invalid argument (null, or no top-up request has this event id).
-- Never null: event_id, user_id, credits, outcome.
-- SECURITY DEFINER: the service role calls it without any privilege on the tables.
create or replace function public.decline_top_up(
  p_event_id bigint,
  out event_id bigint,
  out user_id uuid,
  out credits integer,
  out outcome text
)
language plpgsql
volatile
security definer
set search_path to pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  e credits_private.credit_events;
begin
  perform credits_private.require_present('p_event_id', p_event_id);
  select * into e from credits_private.credit_events ce where ce.id = p_event_id and ce.kind = 'top_up_requested';
  if not found then
    raise exception using errcode = 'CR003',
      message = 'p_event_id is not a top-up request',
      detail = format('p_event_id was %s.', p_event_id),
      hint = 'Pass the event_id of a top_up_requested event from claim_credit_events.';
  end if;
  -- the account's lock first, as a charge and grant_credits take it, then the request
  perform 1 from public.user_credits uc where uc.user_id = e.user_id for update;
  update credits_private.credit_events ce
     set outcome = 'declined', resolved_at = now()
   where ce.id = p_event_id and (ce.outcome is null or ce.outcome = 'lapsed');
  if found then
    update credits_private.auto_top_ups a
       set open_event_id = null, open_until = null, updated_at = now()
     where a.user_id = e.user_id and a.open_event_id = p_event_id;
    outcome := 'declined';
  else
    select 'already_' || ce.outcome into outcome from credits_private.credit_events ce where ce.id = p_event_id;
  end if;
  event_id := e.id;
  user_id := e.user_id;
  credits := e.credits;
end;
$$;

comment on function public.decline_top_up(bigint) is
  'Closes a top-up request the application could not buy (a declined card); the next crossing may ask again.';
revoke all on function public.decline_top_up(bigint) from public, anon, authenticated;
grant execute on function public.decline_top_up(bigint) to credits_service;
