-- require_team: the refusal of a team call on an id that is no team (contract §12): CR002 when no
-- account has the id, CR003 when it is a personal account.
-- Errors: CR002, CR003.
create or replace function credits_private.require_team(p_team_id uuid)
returns void
language plpgsql
stable
set search_path to pg_catalog, pg_temp
as $$
begin
  perform credits_private.require_present('p_team_id', p_team_id);
  if exists (select 1 from credits_private.teams tm where tm.team_id = p_team_id) then
    return;
  end if;
  if exists (select 1 from public.user_credits uc where uc.user_id = p_team_id) then
    raise exception using errcode = 'CR003',
      message = 'p_team_id is a personal account, not a team',
      detail = format('p_team_id was %s.', p_team_id),
      hint = 'Pass the id of a team (ensure_team_account creates one).';
  end if;
  perform credits_private.raise_no_account(p_team_id);
end;
$$;

comment on function credits_private.require_team(uuid) is 'Raises CR002 (no account) or CR003 (a personal account) unless the id is a team''s.';
revoke all on function credits_private.require_team(uuid) from public;
