-- balance_of: the balance row of one account (public.credit_balance), shared by
-- get_credit_balance, my_credit_balance and ensure_credit_account; pending_tier is a scheduled
-- downgrade (change_tier), already applied when the account's month has ended;
-- promotional_credits counts the lots not past their expiry (a lot past it is reported expired
-- before the job or the account's next charge records it), promotional_expires_at is the soonest
-- expiry among those holding credits. Periods are calendar months in UTC; period_end is
-- exclusive (the first day of the next period, when unused monthly credits expire). The limits in
-- effect (contract §12: max_in_flight, daily_credit_limit, null none) and today's usage: in_flight,
-- the generations in flight the account pays for (counted), spent_today, the credits its charges
-- made today (UTC) less their refunds and settlements. debt_credits: what the account owes
-- (contract §13: a revocation took more than it held), repaid first by every credit that comes in.
-- Errors: CR002 when the account does not exist.
create or replace function credits_private.balance_of(p_user_id uuid)
returns public.credit_balance
language plpgsql
stable
set search_path to pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  b public.credit_balance;
  v_next public.credit_tiers; -- the tier the next period starts on
  v_override integer;
  v_in_flight_override integer;
  v_daily_override integer;
  v_current date := credits_private.current_period();
begin
  -- An account still in an earlier month (UTC) is reported as it will be once that month starts
  -- for it (its first write, or the allocation batch, does it: credits_private.roll_over): a
  -- read cannot write, and nobody should see last month's monthly credits.
  -- n: the tier the next period starts on (the scheduled one, if any), as roll_over joins it.
  -- the allowance of the account's period (a tier's edited allowance reaches it at its next one)
  select uc.monthly_credits, uc.purchased_credits, uc.promotional_credits, uc.tier, uc.monthly_allowance::integer,
         uc.credits_used_this_month, uc.period_start, uc.pending_tier, uc.low_balance_threshold,
         uc.low_balance_threshold_override, n.tier, n.monthly_allowance, n.low_balance_threshold,
         credits_private.limit_in_effect(l.max_in_flight_override, t.max_in_flight),
         credits_private.limit_in_effect(l.daily_credit_limit_override, t.daily_credit_limit),
         l.max_in_flight_override, l.daily_credit_limit_override, n.max_in_flight, n.daily_credit_limit,
         -- today's spend as counted while limited, else from the ledger
         case when l.counted_since is not distinct from uc.limited_since and uc.limited_since is not null
              then case when l.spent_today_until > now() then l.spent_today else 0 end
              else credits_private.spent_today_of(p_user_id) end,
         coalesce(d.debt_credits, 0), n.rollover_cap
    into b.monthly_credits, b.purchased_credits, b.promotional_credits, b.tier, b.monthly_allowance,
         b.used_this_month, b.period_start, b.pending_tier, b.low_balance_threshold,
         v_override, v_next.tier, v_next.monthly_allowance, v_next.low_balance_threshold,
         b.max_in_flight, b.daily_credit_limit, v_in_flight_override, v_daily_override,
         v_next.max_in_flight, v_next.daily_credit_limit, b.spent_today, b.debt_credits, v_next.rollover_cap
    from public.user_credits uc
    join public.credit_tiers t on t.tier = uc.tier
    join public.credit_tiers n on n.tier = coalesce(uc.pending_tier, uc.tier)
    left join credits_private.account_limits l on l.user_id = uc.user_id
    left join credits_private.account_debts d on d.user_id = uc.user_id
   where uc.user_id = p_user_id;
  if not found then
    perform credits_private.raise_no_account(p_user_id);
  end if;
  if b.period_start < v_current then
    if b.pending_tier is not null then -- its limits with it, as roll_over will set them
      b.max_in_flight := credits_private.limit_in_effect(v_in_flight_override, v_next.max_in_flight);
      b.daily_credit_limit := credits_private.limit_in_effect(v_daily_override, v_next.daily_credit_limit);
    end if;
    b.tier := v_next.tier; -- the new month starts on the scheduled tier, if any
    b.monthly_allowance := v_next.monthly_allowance;
    b.pending_tier := null;
    -- up to the next tier's rollover_cap of the unused monthly credits carry over; the allowance
    -- repays a debt first (an account in debt has none to carry), as roll_over will
    b.monthly_credits := least(b.monthly_credits, v_next.rollover_cap)
                         + b.monthly_allowance - least(b.debt_credits, b.monthly_allowance);
    b.debt_credits := b.debt_credits - least(b.debt_credits, b.monthly_allowance);
    b.used_this_month := 0;
    b.period_start := v_current;
    b.low_balance_threshold := coalesce(v_override, v_next.low_balance_threshold); -- as roll_over will set it
  end if;
  if b.promotional_credits > 0 then
    select coalesce(sum(l.remaining), 0)::bigint, min(l.expires_at) filter (where l.remaining > 0)
      into b.promotional_credits, b.promotional_expires_at
      from credits_private.promotional_lots l
     where l.user_id = p_user_id and l.expired_at is null and l.expires_at > now();
  end if;
  b.total_credits := b.monthly_credits + b.purchased_credits + b.promotional_credits;
  b.in_flight := (credits_private.count_in_flight(p_user_id, '-infinity')).in_flight;
  b.period_end := (b.period_start + interval '1 month')::date;
  return b;
end;
$$;

comment on function credits_private.balance_of(uuid) is 'Balance, buckets, tier and period of one account.';
revoke all on function credits_private.balance_of(uuid) from public;
