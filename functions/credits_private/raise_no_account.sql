-- raise_no_account: the one refusal of a user without a credit account (CR002), for the
-- functions that lock or read the account (start_generation, grant_credits, balance_of). Called
-- only on that path: the hot path pays nothing for it.
-- Errors: CR002, always.
create or replace function credits_private.raise_no_account(p_user_id uuid)
returns void
language plpgsql
immutable
set search_path to pg_catalog, pg_temp
as $$
begin
  raise exception using errcode = 'CR002',
    message = 'no credit account for this user',
    detail = format('user_id %s has no row in user_credits.', p_user_id),
    hint = 'Create it with ensure_credit_account(user_id, tier).';
end;
$$;

comment on function credits_private.raise_no_account(uuid) is 'Raises CR002: the user has no credit account.';
revoke all on function credits_private.raise_no_account(uuid) from public;
