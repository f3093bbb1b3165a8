-- require_not_team: CR003 when an id that must be a user's (an account of its own, a team's
-- member) is a team's (contract §12: a team has no end user).
-- Errors: CR003 when p_id is a team.
create or replace function credits_private.require_not_team(p_name text, p_id uuid)
returns void
language plpgsql
stable
set search_path to pg_catalog, pg_temp
as $$
begin
  if exists (select 1 from credits_private.teams tm where tm.team_id = p_id) then
    raise exception using errcode = 'CR003',
      message = format('%s is a team, not a user', p_name),
      detail = format('%s was %s, the id of a team (ensure_team_account).', p_name, p_id),
      hint = 'Pass the id of a user; a team''s members spend its credits through start_generation''s p_account_id.';
  end if;
end;
$$;

comment on function credits_private.require_not_team(text, uuid) is 'Raises CR003 when an id is a team''s.';
revoke all on function credits_private.require_not_team(text, uuid) from public;
