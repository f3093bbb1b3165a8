-- count_against_limits: a limited account's charge counted against its limits (contract §12),
-- by start_generation under the account's lock, after the charge and its ledger row are
-- written: CR007 (rolling the whole start back) when it makes one generation in flight more than
-- the in-flight limit allows, or the day's spend (UTC) more than the daily limit. What they are
-- checked against (credits_private.account_limits) is counted by every charge of the account
-- while it is limited; counts of another limited_since (the account was unlimited meanwhile) are
-- unknown and counted afresh from the ledger. The in-flight bound only goes up here; when it
-- passes the limit the generations in flight are recounted (count_in_flight, this one included),
-- so that a completion, failure or sweep frees a slot at once without writing the account.
-- Errors: CR007 with DETAIL {"limit": "in_flight" | "daily_credits", "allowed", "current",
-- "requested", "account_id", "user_id"} (credits_private.raise_limit_reached), in flight first;
-- current does not count this start.
create or replace function credits_private.count_against_limits(
  p_account_id uuid,
  p_user_id uuid,
  p_credits integer,
  p_limited_since timestamptz
)
returns void
language plpgsql
volatile
set search_path to pg_catalog, pg_temp
as $$
declare
  l record;
  v_count record;
  v_at_most bigint;
  v_since timestamptz;
  v_spent bigint;
  v_later boolean := false;  -- the count is of a later day than this charge's
  v_day_end timestamptz := date_bin('1 day', now(), timestamptz '2000-01-01 00:00+00') + interval '24 hours';
begin
  -- one read: the limits in effect and the counts
  select credits_private.limit_in_effect(a.max_in_flight_override, t.max_in_flight) as max_in_flight,
         credits_private.limit_in_effect(a.daily_credit_limit_override, t.daily_credit_limit) as daily_credit_limit,
         a.counted_since = p_limited_since as known, a.in_flight_at_most, a.in_flight_since, a.spent_today, a.spent_today_until,
         a.user_id is not null as exists
    into l
    from public.user_credits uc
    join public.credit_tiers t on t.tier = uc.tier
    left join credits_private.account_limits a on a.user_id = uc.user_id
   where uc.user_id = p_account_id;
  if l.known then
    v_at_most := l.in_flight_at_most + 1;
    v_since := least(l.in_flight_since, now());
    if l.spent_today_until > v_day_end then
      -- a charge whose transaction began the UTC day before the count's (it waited for the lock
      -- past midnight): its own day's spend from the ledger; the later day's count stays
      v_spent := credits_private.spent_today_of(p_account_id);
      v_later := true;
    else
      v_spent := case when l.spent_today_until > now() then l.spent_today else 0 end + p_credits;
    end if;
  else
    v_at_most := 4611686018427387904;
    v_since := '-infinity';
    v_spent := credits_private.spent_today_of(p_account_id); -- this charge's row included
  end if;

  if v_at_most > l.max_in_flight then
    v_count := credits_private.count_in_flight(p_account_id, v_since);
    if v_count.in_flight > l.max_in_flight then
      perform credits_private.raise_limit_reached('in_flight', l.max_in_flight, v_count.in_flight - 1, 1, p_account_id, p_user_id);
    end if;
    v_at_most := v_count.in_flight;
    v_since := v_count.oldest;
  end if;
  if v_spent > l.daily_credit_limit then
    perform credits_private.raise_limit_reached('daily_credits', l.daily_credit_limit, v_spent - p_credits, p_credits,
                                                 p_account_id, p_user_id);
  end if;

  -- an update, the row being there after the account's first limited charge (an upsert costs more)
  if l.exists then
    update credits_private.account_limits a
       set in_flight_at_most = v_at_most, in_flight_since = v_since,
           spent_today = case when v_later then a.spent_today else v_spent end,
           spent_today_until = case when v_later then a.spent_today_until else v_day_end end,
           counted_since = p_limited_since
     where a.user_id = p_account_id;
  else
    insert into credits_private.account_limits
      (user_id, in_flight_at_most, in_flight_since, spent_today, spent_today_until, counted_since)
    values (p_account_id, v_at_most, v_since, v_spent, v_day_end, p_limited_since);
  end if;
end;
$$;

comment on function credits_private.count_against_limits(uuid, uuid, integer, timestamptz) is
  'Counts a limited account''s charge against its in-flight and daily limits; CR007 past either.';
revoke all on function credits_private.count_against_limits(uuid, uuid, integer, timestamptz) from public;
