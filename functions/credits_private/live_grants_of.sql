-- live_grants_of: an account's live promotional grants (not expired, not voided, not past their
-- date), soonest expiry first: shared by promotional_grants and my_promotional_grants.
create or replace function credits_private.live_grants_of(p_user_id uuid)
returns table (lot_id bigint, granted bigint, remaining bigint, expires_at timestamptz, label text, granted_at timestamptz)
language sql
stable
set search_path to pg_catalog, pg_temp
as $$
  select l.id, l.granted, l.remaining, l.expires_at, l.label, l.created_at
    from credits_private.promotional_lots l
   where l.user_id = p_user_id and l.expired_at is null and l.expires_at > now()
   order by l.expires_at, l.id;
$$;

comment on function credits_private.live_grants_of(uuid) is
  'An account''s live promotional grants, soonest expiry first.';
revoke all on function credits_private.live_grants_of(uuid) from public;
