-- start_generation: creates a generation task ('pending') and charges its credits, atomically.
-- Promotional credits are spent first (the lot that expires soonest first), then monthly credits,
-- then purchased ones; lots whose expiry has passed expire first (lazy expiry, as the expiry job
-- would: expire_promotional_credits). With an idempotency key, a repeated call
-- returns the first call's task and balance (replayed = true) and charges nothing again; the same
-- key with other arguments is refused; concurrent retries with one key wait for the first call
-- and replay it. The key is scoped to the user and to this function. The first charge of a new
-- UTC month starts that month for the account first (lazy roll-over: last month's unused
-- monthly credits expire, the allowance is granted; see allocate_monthly_credits), so it is
-- charged from the new month's credits. Charges of one account run one at a time, in about the
-- order they arrive: they queue on a transaction advisory lock keyed on hashtextextended(
-- 'credits.account:' || account id, 0), and a start with a key then on hashtextextended(
-- 'credits.keys:' || user id, 0), which an application's own advisory locks should avoid (a
-- transaction holds one of each per account it charges, in the lock table
-- max_locks_per_transaction sizes).
-- With p_account_id, a team (contract §12): the user p_user_id, a member, generates and the team
-- pays. The task is the member's (its account_id the team); the ledger rows are the team's and
-- name the member (member_id); the team's limits and the member's own daily cap apply. The key
-- stays the member's: the same key with another account is CR006; a replay returns the first
-- result even if membership or limits changed since. p_account_id equal to p_user_id is the
-- user's own account, as null.
-- Limits (contract §12): the account's in-flight and daily limits in effect (its tier's or its
-- own, set_credit_limits), counted once the charge is written. Refusals come in this order:
-- CR008, the member's cap, CR001, the account's in-flight limit, its daily limit.
-- Result: task_id, balance (the paying account's total after the charge), replayed.
-- Errors: CR001 insufficient credits (DETAIL, a JSON object: {"required": 12, "available": 10,
-- "user_id": "…"}), CR002 no account, CR003 invalid argument (null, blank or oversized text,
-- p_credits outside 1..1,000,000, p_metadata not a JSON object or over 8 kB), CR006 the key was
-- used with other arguments (DETAIL: both calls), CR007 a limit reached (DETAIL, a JSON object:
-- {"limit": "in_flight" | "daily_credits" | "member_daily_credits", "allowed", "current",
-- "requested", "account_id", "user_id"}), CR008 not a member of the team p_account_id.
-- Never null: task_id, balance, replayed.
-- SECURITY DEFINER: the service role calls it without any privilege on the tables.
create or replace function public.start_generation(
  p_user_id uuid,
  p_task_type text,
  p_provider text,
  p_model text,
  p_credits integer,
  p_idempotency_key text default null,
  p_metadata jsonb default '{}',
  p_account_id uuid default null,
  out task_id uuid,
  out balance bigint,
  out replayed boolean
)
language plpgsql
volatile
security definer
set search_path to pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_credits bigint;
  v_monthly bigint;
  v_monthly_part bigint;
  v_promotional bigint;
  v_period date;
  v_current date := date_trunc('month', now() at time zone 'UTC')::date;
  v_first public.enhancement_tasks;
  v_threshold integer;
  v_top_up integer; -- the account's automatic top-up threshold (null: off)
  v_charged boolean;
  v_team uuid;    -- the team paying, null for the user's own account
  v_account uuid; -- who pays: the team, or the user (coalesce(v_team, p_user_id), inline on the hot path)
  v_limited_since timestamptz; -- a limit is in effect for the account paying
begin
  -- The arguments are checked in one expression; the helpers run only to raise the precise
  -- error (a helper call per argument cost more than the rest of the check on the hot path).
  -- Blank text is empty or only Unicode white space, the set of credits_private.require_text
  -- (tests/hostile-arguments.test.ts holds every copy of it to that one). The limits stand
  -- here and in the helpers' calls below, as literals: PL/pgSQL constants cost 1.6 % of a
  -- charge's instructions (initialised on every call), and a constant function would be inlined
  -- only without the pinned search_path every function of the package has.
  if not (p_user_id is not null
          and coalesce(p_credits between 1 and 1000000, false)
          and coalesce(btrim(p_task_type, E' \t\n\r\f\x0B\u0085\u00A0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200A\u200B\u200C\u200D\u2028\u2029\u202F\u205F\u2060\u3000\uFEFF') <> '' and length(p_task_type) <= 100, false)
          and coalesce(btrim(p_provider, E' \t\n\r\f\x0B\u0085\u00A0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200A\u200B\u200C\u200D\u2028\u2029\u202F\u205F\u2060\u3000\uFEFF') <> '' and length(p_provider) <= 100, false)
          and coalesce(btrim(p_model, E' \t\n\r\f\x0B\u0085\u00A0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200A\u200B\u200C\u200D\u2028\u2029\u202F\u205F\u2060\u3000\uFEFF') <> '' and length(p_model) <= 200, false)
          and (p_idempotency_key is null or coalesce(btrim(p_idempotency_key, E' \t\n\r\f\x0B\u0085\u00A0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200A\u200B\u200C\u200D\u2028\u2029\u202F\u205F\u2060\u3000\uFEFF') <> '' and length(p_idempotency_key) <= 200, false))
          and coalesce(jsonb_typeof(p_metadata) = 'object' and pg_column_size(p_metadata) <= 8192, false)) then
    perform credits_private.require_present('p_user_id', p_user_id);
    perform credits_private.require_text('p_task_type', p_task_type, 100);
    perform credits_private.require_text('p_provider', p_provider, 100);
    perform credits_private.require_text('p_model', p_model, 200);
    perform credits_private.require_credits('p_credits', p_credits, 1000000);
    if p_idempotency_key is not null then
      perform credits_private.require_text('p_idempotency_key', p_idempotency_key, 200);
    end if;
    raise exception using errcode = 'CR003',
      message = 'p_metadata must be a JSON object of at most 8 kB',
      detail = format('p_metadata was %s.', coalesce(left(p_metadata::text, 200), 'null')),
      hint = 'Pass an object such as {} or {"prompt_id": "..."}.';
  end if;

  -- Without an idempotency key, the task first and the account's row lock last: the lock
  -- serialises every charge of this account until the transaction commits, so everything done
  -- before it is work that charges of one busy account (a team's, a load test's) do side by side
  -- rather than one after the other. A refusal below (no account, a limit, not enough credits)
  -- rolls the task back with the rest. With a key, the account is locked before the key is looked
  -- up (below): a retry then waits for the first call's commit at the lock, never at the key's
  -- index while holding the account (which could deadlock with a transaction that writes the
  -- account, then charges it with that key).
  -- v_team: the team paying (null: the user's own account, p_account_id null or the user's id).
  if p_idempotency_key is null then
    insert into public.enhancement_tasks as t (user_id, task_type, provider, model, credits_used, metadata, account_id)
    values (p_user_id, p_task_type, p_provider, p_model, p_credits, p_metadata, nullif(p_account_id, p_user_id))
    returning t.id, t.account_id into task_id, v_team;
  else
    v_team := nullif(p_account_id, p_user_id);
  end if;

  -- Charges of one busy account queue, in about the order they arrive: a charge that finds
  -- another charging waits for the account's advisory lock (a queue, granted first come first
  -- served) rather than for its row, where each commit lets whoever comes next jump the queue
  -- (p99 over 150 ms at 32 clients on one account). A transaction that already holds the row (a
  -- refund, then this charge) does not wait in that queue: whoever heads it may be waiting for
  -- this very row. A transaction holds one such lock per account it charges.
  if not pg_try_advisory_xact_lock(hashtextextended('credits.account:' || coalesce(v_team, p_user_id)::text, 0)) then
    perform 1 from public.user_credits uc where uc.user_id = coalesce(v_team, p_user_id) for update skip locked;
    if not found then
      perform pg_advisory_xact_lock(hashtextextended('credits.account:' || coalesce(v_team, p_user_id)::text, 0));
    end if;
  end if;

  -- The common charge in one statement, which takes the account's lock: an account in the current
  -- month, holding enough credits and no promotional ones, whose monthly credits either cover
  -- the charge with some left or are spent (so the split is known from the row it leaves:
  -- monthly credits left means the charge was all monthly). Any other charge, and every charge
  -- with a key, takes the general path below, which locks first and then decides. An account with
  -- a limit in effect (limited_since) has its charge counted against it once the charge is written
  -- (credits_private.count_against_limits: CR007 rolls the start back); one without pays one
  -- comparison for it.
  if task_id is not null then
    update public.user_credits uc
       set credits = uc.credits - p_credits,
           monthly_credits = greatest(uc.monthly_credits - p_credits, 0),
           purchased_credits = uc.purchased_credits - greatest(p_credits - uc.monthly_credits, 0),
           credits_used_this_month = uc.credits_used_this_month + p_credits,
           updated_at = now()
     where uc.user_id = coalesce(v_team, p_user_id) and uc.credits >= p_credits and uc.promotional_credits = 0
       and uc.period_start >= v_current and (uc.monthly_credits > p_credits or uc.monthly_credits = 0)
    returning uc.credits, uc.monthly_credits, uc.period_start, uc.low_balance_threshold, uc.auto_top_up_threshold, uc.limited_since
         into balance, v_monthly, v_period, v_threshold, v_top_up, v_limited_since;
    v_charged := found;
  end if;
  if v_charged then
    insert into public.credit_transactions
      (user_id, amount, monthly_amount, type, task_id, provider, balance_after, period_start, member_id)
    values (coalesce(v_team, p_user_id), -p_credits, case when v_monthly > 0 then -p_credits else 0 end, 'usage', task_id, p_provider,
            balance, v_period, case when v_team is not null then p_user_id end);
    if v_team is not null then
      perform credits_private.charge_member(v_team, p_user_id, p_credits, task_id);
    end if;
    if v_limited_since is not null then
      perform credits_private.count_against_limits(coalesce(v_team, p_user_id), p_user_id, p_credits, v_limited_since);
    end if;
    v_credits := balance + p_credits;
  else
    v_account := coalesce(v_team, p_user_id);
    select uc.credits, uc.monthly_credits, uc.promotional_credits, uc.period_start, uc.low_balance_threshold,
           uc.auto_top_up_threshold, uc.limited_since
      into v_credits, v_monthly, v_promotional, v_period, v_threshold, v_top_up, v_limited_since
      from public.user_credits uc
     where uc.user_id = v_account
       for update;
    if not found then
      -- a member's key first used with a team: CR006 from their own account too, which may not exist
      if p_idempotency_key is not null then
        select t.* into v_first
          from public.enhancement_tasks t
         where t.user_id = p_user_id and t.idempotency_key = p_idempotency_key;
        if found then
          perform credits_private.raise_key_reused(p_idempotency_key, v_first, p_task_type, p_provider, p_model, p_credits, v_account);
        end if;
      end if;
      if v_team is not null then
        perform credits_private.charge_member(v_team, p_user_id, p_credits, task_id); -- CR008: no such team
      end if;
      perform credits_private.raise_no_account(p_user_id);
    end if;
    -- The account's first charge of a new month (UTC) starts that month for it, under the lock
    -- just taken (lazy roll-over): the monthly batch need not have reached it yet.
    if v_period < v_current then
      perform credits_private.roll_over(array[v_account], v_current);
      select uc.credits, uc.monthly_credits, uc.period_start, uc.low_balance_threshold, uc.auto_top_up_threshold, uc.limited_since
        into v_credits, v_monthly, v_period, v_threshold, v_top_up, v_limited_since
        from public.user_credits uc
       where uc.user_id = v_account;
    end if;

    -- Under the account's lock, a key already used replays the first call (or is CR006); a new
    -- one writes the task (a refusal below rolls it back, as without a key). A user's keys are
    -- theirs whichever account pays: the lock of their keys, taken after the account's (a retry
    -- queued behind a transaction that holds the account and charges it with that key must not
    -- hold anything that transaction needs), makes two calls with one key and two accounts meet
    -- here (the second is CR006, not a unique violation).
    if p_idempotency_key is not null then
      perform pg_advisory_xact_lock(hashtextextended('credits.keys:' || p_user_id::text, 0));
      select t.* into v_first
        from public.enhancement_tasks t
       where t.user_id = p_user_id and t.idempotency_key = p_idempotency_key;
      if found then
        if (v_first.task_type, v_first.provider, v_first.model, v_first.credits_used, v_first.metadata, v_first.account_id)
           is distinct from (p_task_type, p_provider, p_model, p_credits, p_metadata, v_team) then
          perform credits_private.raise_key_reused(p_idempotency_key, v_first, p_task_type, p_provider, p_model, p_credits, v_account);
        end if;
        select c.balance_after into balance
          from public.credit_transactions c
         where c.task_id = v_first.id and c.type = 'usage';
        task_id := v_first.id;
        replayed := true;
        return;
      end if;
      insert into public.enhancement_tasks as t (user_id, task_type, provider, model, credits_used, idempotency_key, metadata, account_id)
      values (p_user_id, p_task_type, p_provider, p_model, p_credits, p_idempotency_key, p_metadata, v_team)
      returning t.id into task_id;
    end if;

    if v_team is not null then
      perform credits_private.charge_member(v_team, p_user_id, p_credits, task_id);
    end if;
    if v_credits < p_credits then
      -- an account holding promotional credits is refused by charge_promotional, after its lazy
      -- expiry, with the figure that leaves (v_credits may still count a lot past its date)
      if v_promotional = 0 then
        perform credits_private.raise_insufficient_credits(v_account, p_credits, v_credits);
      end if;
    end if;

    -- An account holding promotional credits is charged by charge_promotional: its lots past their
    -- date expire first (lazy expiry), then promotional credits go first, soonest expiry first.
    -- Any other account: monthly credits first, then purchased; the usage row records the split,
    -- which a refund returns. charge_promotional splits the same way after the promotional part,
    -- and so does the one-statement charge above; tests/property.test.ts holds all three to one
    -- model of the charge (the split written once there), on both paths.
    if v_promotional > 0 then
      balance := credits_private.charge_promotional(v_account, task_id, p_credits, p_provider,
                                                    case when v_team is not null then p_user_id end);
    else
      v_monthly_part := least(v_monthly, p_credits);
      update public.user_credits uc
         set credits = v_credits - p_credits,
             monthly_credits = v_monthly - v_monthly_part,
             purchased_credits = uc.purchased_credits - (p_credits - v_monthly_part),
             credits_used_this_month = uc.credits_used_this_month + p_credits,
             updated_at = now()
       where uc.user_id = v_account;
      insert into public.credit_transactions
        (user_id, amount, monthly_amount, type, task_id, provider, balance_after, period_start, member_id)
      values (v_account, -p_credits, -v_monthly_part, 'usage', task_id, p_provider, v_credits - p_credits, v_period,
              case when v_team is not null then p_user_id end);
      balance := v_credits - p_credits;
    end if;
    if v_limited_since is not null then
      perform credits_private.count_against_limits(v_account, p_user_id, p_credits, v_limited_since);
    end if;
  end if;
  replayed := false;
  -- This charge crossed the account's low-balance threshold or its automatic top-up threshold:
  -- one event per crossing (the row lock orders the charges, so exactly one sees the balance go
  -- from at or above it to below; v_credits is the balance before any lazy expiry, so a crossing
  -- the expiry began counts too). One comparison for both (greatest and least skip a null): an
  -- account with neither, or one below both, pays nothing more.
  if balance < greatest(v_threshold, v_top_up) and v_credits >= least(v_threshold, v_top_up) then
    if balance < v_threshold and v_credits >= v_threshold then
      perform credits_private.record_low_balance(coalesce(v_team, p_user_id), balance, v_threshold, task_id);
    end if;
    if balance < v_top_up and v_credits >= v_top_up then
      perform credits_private.request_top_up(coalesce(v_team, p_user_id), balance, task_id);
    end if;
  end if;
end;
$$;

comment on function public.start_generation(uuid, text, text, text, integer, text, jsonb, uuid) is
  'Creates a pending generation task and charges its credits atomically (idempotent per key), to the user or their team.';
revoke all on function public.start_generation(uuid, text, text, text, integer, text, jsonb, uuid) from public, anon, authenticated;
grant execute on function public.start_generation(uuid, text, text, text, integer, text, jsonb, uuid) to credits_service;
