-- history_of: one page of an account's ledger, newest first, in (created_at, id) order: one
-- allocation writes several rows with the same now(), so the id breaks the ties and a page ends
-- exactly where the next begins. The rows of one transaction share its start time, so among them
-- the order is the ids' (stable, not the order they were written in: a sequence on the ledger
-- would rewrite the table to add). p_before is the id of the last row of the previous page (null:
-- the first page). Pages never repeat or skip a row committed before the first page was read; a
-- row committed later with an earlier timestamp (its transaction began earlier) appears when the
-- first pages are read again. credit_transactions_user_id_created_at_idx serves it (the bound on
-- created_at; equal timestamps are few and sorted by id).
-- p_member_id: of a team's ledger, only the rows naming that member (contract §12).
-- Shared by credit_history and my_credit_history, which choose the columns.
-- Errors: CR003 when p_limit is outside 1..1000, or p_before is not a ledger row of this user.
create or replace function credits_private.history_of(p_user_id uuid, p_before uuid, p_limit integer, p_member_id uuid default null)
returns setof public.credit_transactions
language plpgsql
stable
set search_path to pg_catalog, pg_temp
as $$
declare
  v_at timestamptz;
begin
  if p_limit is null or p_limit not between 1 and 1000 then
    raise exception using errcode = 'CR003',
      message = 'p_limit must be between 1 and 1000',
      detail = format('p_limit was %s.', coalesce(p_limit::text, 'null')),
      hint = 'Read the history a page at a time: pass the last row''s id as p_before for the next.';
  end if;
  if p_before is not null then
    select c.created_at into v_at from public.credit_transactions c where c.id = p_before and c.user_id = p_user_id;
    if not found then
      raise exception using errcode = 'CR003',
        message = 'p_before is not a ledger row of this user',
        detail = format('p_before was %s, p_user_id %s.', p_before, p_user_id),
        hint = 'Pass the id of the last row of the previous page, or null for the first page.';
    end if;
  end if;
  return query
    select c.* from public.credit_transactions c
     where c.user_id = p_user_id and (p_member_id is null or c.member_id = p_member_id)
       and (p_before is null or (c.created_at <= v_at and (c.created_at, c.id) < (v_at, p_before)))
     order by c.created_at desc, c.id desc
     limit p_limit;
end;
$$;

comment on function credits_private.history_of(uuid, uuid, integer, uuid) is
  'One page of an account''s ledger rows, newest first, after the row p_before.';
revoke all on function credits_private.history_of(uuid, uuid, integer, uuid) from public;
