-- remove_team_member: stops a member's new starts on a team's credits at once (contract §12):
-- the next start_generation with this team is CR008. Their generations in flight finish or fail
-- as usual (a failure's refund goes back to the team), their ledger rows keep naming them, and
-- add_team_member brings them back. A start of theirs running meanwhile is waited for.
-- Result: removed (false when the user was not a member: nothing to do).
-- Errors: CR002 no account p_team_id, CR003 invalid argument (a null id, p_team_id a personal account).
-- Never null: removed.
-- SECURITY DEFINER: the service role calls it without any privilege on the tables.
create or replace function public.remove_team_member(p_team_id uuid, p_user_id uuid, out removed boolean)
language plpgsql
volatile
security definer
set search_path to pg_catalog, pg_temp
as $$
begin
  perform credits_private.require_team(p_team_id);
  perform credits_private.require_present('p_user_id', p_user_id);
  update credits_private.team_members m
     set removed_at = now(), updated_at = now()
   where m.team_id = p_team_id and m.user_id = p_user_id and m.removed_at is null;
  removed := found;
end;
$$;

comment on function public.remove_team_member(uuid, uuid) is
  'Stops a member''s new starts on a team''s credits at once; generations in flight finish normally.';
revoke all on function public.remove_team_member(uuid, uuid) from public, anon, authenticated;
grant execute on function public.remove_team_member(uuid, uuid) to credits_service;
