-- raise_insufficient_credits: the one refusal of a charge the account cannot pay (CR001), for
-- start_generation and credits_private.charge_promotional (after its lazy expiry). DETAIL is a
-- JSON object (docs/error-codes.md): callers read the numbers without parsing prose. Called only
-- on that path: the hot path pays nothing for it.
-- Errors: CR001, always.
create or replace function credits_private.raise_insufficient_credits(p_user_id uuid, p_required integer, p_available bigint)
returns void
language plpgsql
immutable
set search_path to pg_catalog, pg_temp
as $$
begin
  raise exception using errcode = 'CR001',
    message = format('insufficient credits: the generation costs %s, the account holds %s', p_required, p_available),
    detail = json_build_object('required', p_required, 'available', p_available, 'user_id', p_user_id)::text,
    hint = 'Buy or grant credits, or wait for the next monthly allocation.';
end;
$$;

comment on function credits_private.raise_insufficient_credits(uuid, integer, bigint) is 'Raises CR001: the account cannot pay the charge.';
revoke all on function credits_private.raise_insufficient_credits(uuid, integer, bigint) from public;
