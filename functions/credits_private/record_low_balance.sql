-- record_low_balance: a charge took the account below its low-balance threshold: one
-- 'low_balance' event into the outbox, in the charge's transaction, and a notification on the
-- channel credit_events (delivered when that transaction commits; a rolled-back charge leaves
-- neither). The payload is the event's id alone, as JSON {"event_id": 42}: PostgreSQL puts no
-- privilege on channels, so any role that can connect hears it; consumers read the event
-- through claim_credit_events, which only the service role may call.
-- Called only on a crossing: a charge that crosses nothing pays a comparison.
create or replace function credits_private.record_low_balance(p_user_id uuid, p_balance bigint, p_threshold integer, p_task_id uuid)
returns void
language plpgsql
volatile
set search_path to pg_catalog, pg_temp
as $$
declare
  v_id bigint;
begin
  insert into credits_private.credit_events (kind, user_id, balance, threshold, task_id)
  values ('low_balance', p_user_id, p_balance, p_threshold, p_task_id)
  returning id into v_id;
  perform pg_notify('credit_events', json_build_object('event_id', v_id)::text);
end;
$$;

comment on function credits_private.record_low_balance(uuid, bigint, integer, uuid) is
  'Writes a low-balance event into the outbox and notifies the channel credit_events.';
revoke all on function credits_private.record_low_balance(uuid, bigint, integer, uuid) from public;
