-- top_up_granted: grant_credits was called with a top-up request's key ('auto-top-up:<event
-- id>'), under the account's lock: the request reads granted and closes (contract §13), even
-- after a decline or past its 24 hours (the payment went through: what was bought is granted).
-- The grant's amount is the application's (normally the request's credits). Keys of that form are
-- the requests': one that names no request of this account is refused, before anything is
-- granted with it.
-- Errors: CR003 no top-up request of the account has this key.
create or replace function credits_private.top_up_granted(p_user_id uuid, p_idempotency_key text)
returns void
language plpgsql
volatile
set search_path to pg_catalog, pg_temp
as $$
declare
  v_id bigint;
begin
  update credits_private.credit_events e
     set outcome = 'granted', resolved_at = now()
   where e.idempotency_key = p_idempotency_key and e.user_id = p_user_id
  returning e.id into v_id;
  if not found then
    raise exception using errcode = 'CR003',
      message = 'p_idempotency_key names no top-up request of this account',
      detail = format('p_idempotency_key was %L, p_user_id %s.', p_idempotency_key, p_user_id),
      hint = 'Keys beginning auto-top-up: are top-up requests'' (claim_credit_events); use another key for other grants.';
  end if;
  update credits_private.auto_top_ups a
     set open_event_id = null, open_until = null, updated_at = now()
   where a.user_id = p_user_id and a.open_event_id = v_id;
end;
$$;

comment on function credits_private.top_up_granted(uuid, text) is
  'Marks the top-up request a grant_credits key names granted and closes it; CR003 when it names none.';
revoke all on function credits_private.top_up_granted(uuid, text) from public;
