-- complete_credit_events: marks credit events done once their consumer acted on them; they are
-- never handed out again. Marking an event twice, or one that does not exist, changes nothing.
-- Result: the number of events this call marked done.
-- Errors: CR003 when p_event_ids is null.
-- Never null: the result.
-- SECURITY DEFINER: the service role consumes the outbox without any privilege on it.
create or replace function public.complete_credit_events(p_event_ids bigint[])
returns integer
language plpgsql
volatile
security definer
set search_path to pg_catalog, pg_temp
as $$
declare
  v_count integer;
begin
  perform credits_private.require_present('p_event_ids', p_event_ids);
  update credits_private.credit_events e
     set done_at = now(), claimed_until = null
   where e.id = any(p_event_ids) and e.done_at is null;
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;

comment on function public.complete_credit_events(bigint[]) is 'Marks credit events done; they are not handed out again.';
revoke all on function public.complete_credit_events(bigint[]) from public, anon, authenticated;
grant execute on function public.complete_credit_events(bigint[]) to credits_service;
