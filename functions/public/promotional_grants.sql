-- promotional_grants: an account's live promotional grants (contract §13), for support and a
-- billing page: each grant not expired nor voided, soonest expiry first (the order charges spend
-- them), with what it granted, what is left of it, when it expires and its label (what end users
-- see; the operator's reason stays internal). A grant spent to nothing is listed until it expires:
-- a refund may give credits back to it.
-- Result: lot_id, granted, remaining, expires_at, label (null: none), granted_at.
-- Errors: CR002 no account, CR003 null user.
-- Never null: lot_id, granted, remaining, expires_at, granted_at.
-- SECURITY DEFINER: the service role reads the grants without any privilege on the lots.
create or replace function public.promotional_grants(p_user_id uuid)
returns table (lot_id bigint, granted bigint, remaining bigint, expires_at timestamptz, label text, granted_at timestamptz)
language plpgsql
stable
security definer
set search_path to pg_catalog, pg_temp
as $$
begin
  perform credits_private.require_present('p_user_id', p_user_id);
  perform 1 from public.user_credits uc where uc.user_id = p_user_id;
  if not found then
    perform credits_private.raise_no_account(p_user_id);
  end if;
  return query select * from credits_private.live_grants_of(p_user_id);
end;
$$;

comment on function public.promotional_grants(uuid) is
  'An account''s live promotional grants: granted, left, expiry and label, soonest expiry first.';
revoke all on function public.promotional_grants(uuid) from public, anon, authenticated;
grant execute on function public.promotional_grants(uuid) to credits_service;
