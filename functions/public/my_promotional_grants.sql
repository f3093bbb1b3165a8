-- my_promotional_grants: promotional_grants for the calling end user (the JWT claim 'sub'): their
-- live grants with what is left, when each expires and its label; never the operator's reason.
-- Result: lot_id, granted, remaining, expires_at, label (null: none), granted_at; none without an
-- account.
-- Errors: 42501 when the request carries no user id.
-- Never null: lot_id, granted, remaining, expires_at, granted_at.
-- SECURITY DEFINER: end users read their own grants; the user id comes only from the JWT.
create or replace function public.my_promotional_grants()
returns table (lot_id bigint, granted bigint, remaining bigint, expires_at timestamptz, label text, granted_at timestamptz)
language plpgsql
stable
security definer
set search_path to pg_catalog, pg_temp
as $$
declare
  -- read once, not in the query: a planner estimating the filter would call it (42501 without a JWT)
  v_user uuid := credits_private.jwt_user();
begin
  return query select * from credits_private.live_grants_of(v_user);
end;
$$;

comment on function public.my_promotional_grants() is
  'The caller''s live promotional grants: granted, left, expiry and label.';
revoke all on function public.my_promotional_grants() from public, anon, authenticated;
grant execute on function public.my_promotional_grants() to authenticated;
