-- credit_balance_at: an account's balance as the ledger had it at an instant (contract §13), for
-- a support page ("what did they hold on the 3rd?"): the sums of its rows created up to p_at,
-- each row's parts giving the buckets (credits - debt = Σ amount, monthly = Σ monthly_amount,
-- promotional = Σ promotional_amount, debt = -Σ debt_amount), from the latest checkpoint at or
-- before p_at (credits_private.checkpoint_before: a closing's month edge) plus the account's rows
-- since, read through credit_transactions_user_id_created_at_idx: about a month's rows, not
-- the account's whole history. A transaction's rows share its start
-- time, so an instant holds a transaction whole or not at all. Before the account's first
-- bucketed row (written by this package, not inherited from before adoption) the buckets are
-- unknown: CR003. The ledger's balance, not a projection: an account whose new month has not
-- started for it yet (its first write, or the allocation, does it) still holds last month's
-- monthly credits at an instant since.
-- Result: total_credits, monthly_credits, purchased_credits, promotional_credits, debt_credits.
-- Errors: CR002 no account, CR003 null user or instant, an infinite instant, or an instant before
-- the account's first bucketed ledger row.
-- Never null: total_credits, monthly_credits, purchased_credits, promotional_credits, debt_credits.
-- SECURITY DEFINER: the service role reads the ledger without any privilege on the tables.
create or replace function public.credit_balance_at(
  p_user_id uuid,
  p_at timestamptz,
  out total_credits bigint,
  out monthly_credits bigint,
  out purchased_credits bigint,
  out promotional_credits bigint,
  out debt_credits bigint
)
language plpgsql
stable
security definer
set search_path to pg_catalog, pg_temp
as $$
declare
  v_first timestamptz;
  v_from timestamptz;
begin
  perform credits_private.require_present('p_user_id', p_user_id);
  perform credits_private.require_present('p_at', p_at);
  if not isfinite(p_at) then
    raise exception using errcode = 'CR003', message = 'p_at must be a finite instant',
      detail = format('p_at was %s.', p_at);
  end if;
  perform 1 from public.user_credits uc where uc.user_id = p_user_id;
  if not found then
    perform credits_private.raise_no_account(p_user_id);
  end if;
  select min(c.created_at) into v_first
    from public.credit_transactions c where c.user_id = p_user_id and c.origin <> 'legacy';
  if v_first is null or p_at < v_first then
    raise exception using errcode = 'CR003',
      message = 'no balance is known at p_at: it is before the account''s first bucketed ledger row',
      detail = format('p_at was %s; the account''s first ledger row with buckets was written at %s.',
                      p_at, coalesce(v_first::text, 'no time yet')),
      hint = 'Ask for an instant since then (rows inherited from before adoption carry no buckets).';
  end if;
  -- the latest checkpoint at or before p_at, and the rows since
  select k.at, k.ledger_sum, k.monthly_credits, k.promotional_credits, k.debt_credits
    into v_from, total_credits, monthly_credits, promotional_credits, debt_credits
    from credits_private.checkpoint_before(p_user_id, p_at) k;
  select total_credits + coalesce(sum(c.amount), 0)::bigint, monthly_credits + coalesce(sum(c.monthly_amount), 0)::bigint,
         promotional_credits + coalesce(sum(c.promotional_amount), 0)::bigint,
         debt_credits + coalesce(-sum(c.debt_amount), 0)::bigint
    into total_credits, monthly_credits, promotional_credits, debt_credits
    from public.credit_transactions c
   where c.user_id = p_user_id and c.created_at >= v_from and c.created_at <= p_at;
  total_credits := total_credits + debt_credits;
  purchased_credits := total_credits - monthly_credits - promotional_credits;
end;
$$;

comment on function public.credit_balance_at(uuid, timestamptz) is
  'An account''s balance, buckets and debt as the ledger had them at an instant.';
revoke all on function public.credit_balance_at(uuid, timestamptz) from public, anon, authenticated;
grant execute on function public.credit_balance_at(uuid, timestamptz) to credits_service;
