-- request_top_up: a charge took the account below its automatic top-up threshold (contract §13),
-- by start_generation under the account's lock: one 'top_up_requested' event into the outbox,
-- in the charge's transaction, and a notification on the channel credit_events (as
-- record_low_balance), unless a request is still open (neither granted, declined nor 24 hours
-- old) or the month's limit leaves nothing. The event asks for the credits that bring the
-- balance back to the target, within what the month's limit leaves (requests count against it
-- whatever becomes of them: the limit caps what may be asked of a card in a UTC month). Its key,
-- 'auto-top-up:<event id>', is what the application passes to grant_credits once paid.
create or replace function credits_private.request_top_up(p_user_id uuid, p_balance bigint, p_task_id uuid)
returns void
language plpgsql
volatile
set search_path to pg_catalog, pg_temp
as $$
declare
  s credits_private.auto_top_ups;
  v_month date := credits_private.current_period();
  v_requested bigint;
  v_credits bigint;
  v_id bigint;
begin
  select * into s from credits_private.auto_top_ups a where a.user_id = p_user_id;
  if s.threshold is null or s.open_until > now() then
    return;
  end if;
  v_requested := case when s.month = v_month then s.requested_credits else 0 end;
  v_credits := least(s.target - p_balance, s.monthly_limit - v_requested);
  if v_credits <= 0 then
    return;
  end if;
  v_id := nextval(pg_get_serial_sequence('credits_private.credit_events', 'id'));
  insert into credits_private.credit_events (id, kind, user_id, balance, threshold, task_id, credits, idempotency_key)
  overriding system value
  values (v_id, 'top_up_requested', p_user_id, p_balance, s.threshold, p_task_id, v_credits, 'auto-top-up:' || v_id);
  update credits_private.auto_top_ups a
     set month = v_month, requested_credits = v_requested + v_credits,
         open_event_id = v_id, open_until = now() + interval '24 hours', updated_at = now()
   where a.user_id = p_user_id;
  perform pg_notify('credit_events', json_build_object('event_id', v_id)::text);
end;
$$;

comment on function credits_private.request_top_up(uuid, bigint, uuid) is
  'Writes a top-up request into the outbox when none is open and the month''s limit leaves credits.';
revoke all on function credits_private.request_top_up(uuid, bigint, uuid) from public;
