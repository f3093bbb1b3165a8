-- complete_generation: the generation succeeded. Moves the task to 'completed', settles its hold
-- and records the provider's cost: the one passed, else the model's price in effect when the
-- task started (credits_private.provider_price_ranges' rule, written inline: see the UPDATE),
-- per generation, or per unit times p_provider_units for a price per unit.
-- Settlement (contract §11): start_generation charged a hold; p_credits_used is what the
-- generation used (null: the whole hold). A legacy task (in flight at adoption, charged by the
-- old application) completes at its whole charge: the figure is checked, nothing is given back. Less than the hold gives the difference back in this
-- transaction, as one 'refund' row with origin 'settlement' (fail_and_refund with p_credits: the
-- reverse of the spending order, a bucket gone meanwhile paying back purchased credits).
-- Duplicate and late callbacks never raise for their own sake: a completed task reports
-- 'already_completed' when p_credits_used is null or the figure it was settled at, a failed one
-- 'ignored_already_failed' whatever the figure, and no balance changes. A failed task that its
-- provider generated after all (a late success after an API timeout or a sweep) keeps its refund
-- and its status; its cost (the one passed, else the price) is recorded on it, once, with the
-- late result in credits_private.late_results, so the spend shows in monitoring as spend without
-- revenue.
-- Result: task_id, status, outcome ('completed', 'already_completed', 'ignored_already_failed'),
-- credits_final (what the generation finally cost; null when the task failed) and
-- refunded_credits (what this call's settlement gave back; 0 when none).
-- Errors: CR003 invalid argument (p_credits_used below 0 or above the hold on a task not failed,
-- p_provider_units outside 0..1e9, a cost outside 0..10000 USD, a blank or oversized result URL),
-- CR004 no such task, CR006 a completed task settled at another figure than p_credits_used (never
-- for a legacy task, which is not settled).
-- Never null: task_id, status, outcome, refunded_credits.
-- SECURITY DEFINER: the service role calls it without any privilege on the tables.
create or replace function public.complete_generation(
  p_task_id uuid,
  p_provider_cost_usd numeric default null,
  p_result_url text default null,
  p_credits_used integer default null,
  p_provider_units numeric default null,
  out task_id uuid,
  out status text,
  out outcome text,
  out credits_final bigint,
  out refunded_credits integer
)
language plpgsql
volatile
security definer
set search_path to pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_late_cost numeric;
  v_hold bigint;
  v_settled_back bigint;
  v_origin text;
begin
  -- One expression decides the common completion (valid arguments, the whole hold, no units):
  -- anything else takes the block below, where the helpers raise the precise error, or the
  -- settlement's statement runs (each expression a completion evaluates costs it to set up).
  <<common>>
  begin
    if not (p_task_id is not null and p_credits_used is null and p_provider_units is null
            and (p_provider_cost_usd is null or p_provider_cost_usd between 0 and 10000)
            and (p_result_url is null or coalesce(btrim(p_result_url, E' \t\n\r\f\x0B\u0085\u00A0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200A\u200B\u200C\u200D\u2028\u2029\u202F\u205F\u2060\u3000\uFEFF') <> '' and length(p_result_url) <= 4096, false))) then
      perform credits_private.require_present('p_task_id', p_task_id);
      perform credits_private.require_cost('p_provider_cost_usd', p_provider_cost_usd);
      perform credits_private.require_units('p_provider_units', p_provider_units);
      if p_result_url is not null then
        perform credits_private.require_text('p_result_url', p_result_url, 4096);
      end if;
      -- A settlement (less than the hold goes back), or units a price per unit applies to.
      update public.enhancement_tasks t
         set status = 'completed',
             provider_cost_usd = coalesce(p_provider_cost_usd,
               -- per unit: the units reported times the price; a product past 10000 USD (what
               -- p_provider_cost_usd may be) is not a cost to record: unknown, as without units
               (select case when pp.unit is null then pp.cost_usd
                            when pp.cost_usd * p_provider_units <= 10000 then pp.cost_usd * p_provider_units end
                  from public.provider_prices pp
                 where pp.provider = t.provider and pp.model = t.model and pp.effective_from <= t.created_at
                 order by pp.effective_from desc limit 1)),
             result_url = coalesce(p_result_url, t.result_url),
             -- a task charged through start_generation: its charge is credits_used (verify_ledger's
             -- charge_mismatch); a legacy task in flight at adoption completes at its whole charge
             credits_settled_back = case when t.origin = 'rpc'
                                         then nullif(t.credits_used - coalesce(p_credits_used, t.credits_used), 0) end,
             completed_at = now(), updated_at = now()
       where t.id = p_task_id and t.status in ('pending', 'processing')
         and (p_credits_used is null or p_credits_used between 0 and t.credits_used)
      returning t.id, t.status, 'completed', t.credits_used - coalesce(t.credits_settled_back, 0), t.credits_settled_back
        into task_id, status, outcome, credits_final, v_settled_back;
      if found then
        refunded_credits := 0;
        if v_settled_back is not null then
          -- the task's row lock is held (the UPDATE above): fail_and_refund's refund-only call
          select r.refunded_credits into refunded_credits
            from credits_private.fail_and_refund(p_task_id, 'settlement', p_credits => v_settled_back) r;
        end if;
        return;
      end if;
      exit common; -- not in flight, or a figure above the hold: below
    end if;

    -- The whole hold, a cost per generation: the common completion, in the statement it always
    -- was (every column an UPDATE sets or returns costs each completion to set up, run or not).
    update public.enhancement_tasks t
       set status = 'completed',
           provider_cost_usd = coalesce(p_provider_cost_usd,
             -- the price in effect (credits_private.provider_price_ranges) written inline: the
             -- view's plan costs every completion 1.2 % more to set up, run or not; held to the
             -- view by tests/credits_private/provider_price_ranges.sql (the late result reads it)
             -- (a price per unit with no units reported: the cost is unknown)
             (select case when pp.unit is null then pp.cost_usd end from public.provider_prices pp
               where pp.provider = t.provider and pp.model = t.model and pp.effective_from <= t.created_at
               order by pp.effective_from desc limit 1)),
           result_url = coalesce(p_result_url, t.result_url),
           completed_at = now(), updated_at = now()
     where t.id = p_task_id and t.status in ('pending', 'processing')
    returning t.id, t.status, 'completed', t.credits_used, 0 into task_id, status, outcome, credits_final, refunded_credits;
    if found then
      return;
    end if;
  end;

  refunded_credits := 0;
  select t.id, t.status, t.credits_used, t.credits_used - coalesce(t.credits_settled_back, 0), t.origin
    into task_id, status, v_hold, credits_final, v_origin
    from public.enhancement_tasks t where t.id = p_task_id;
  if not found then
    perform credits_private.raise_no_task(p_task_id);
  end if;
  if status <> 'failed' then
    -- below 0 or above the hold (a task in flight is left as it is), or a completed task's other
    -- figure; a failed task ignores any figure
    perform credits_private.require_settlement(p_task_id, p_credits_used, v_hold,
                                               case when status = 'completed' and v_origin = 'rpc' then credits_final end);
  end if;
  if status = 'failed' then
    -- Generated after all (a late success): the refund stands; the spend is recorded, once.
    -- The task's row first: a duplicate callback whose UPDATE above waited for the failure may
    -- hold that row's lock already (READ COMMITTED locks the row it re-checks), and taking it
    -- before the late result's unique key, not after, keeps the two from waiting on each other
    -- (a deadlock seen once on PostgreSQL 18, two late successes of one task).
    perform 1 from public.enhancement_tasks t where t.id = p_task_id for no key update;
    insert into credits_private.late_results as l (task_id, provider_cost_usd, result_url)
    select t.id,
           coalesce(p_provider_cost_usd,
             (select case when p.unit is null then p.cost_usd
                          when p.cost_usd * p_provider_units <= 10000 then p.cost_usd * p_provider_units end
                from credits_private.provider_price_ranges p
               where p.provider = t.provider and p.model = t.model and p.in_effect @> t.created_at)),
           p_result_url
      from public.enhancement_tasks t where t.id = p_task_id
    on conflict on constraint late_results_pkey do nothing
    returning l.provider_cost_usd into v_late_cost;
    if v_late_cost is not null then
      update public.enhancement_tasks t set provider_cost_usd = v_late_cost where t.id = p_task_id;
    end if;
    credits_final := null;
  end if;
  outcome := case status when 'completed' then 'already_completed' else 'ignored_already_failed' end;
end;
$$;

comment on function public.complete_generation(uuid, numeric, text, integer, numeric) is
  'Marks a generation completed, settles its hold at the credits used and records its provider cost; idempotent.';
revoke all on function public.complete_generation(uuid, numeric, text, integer, numeric) from public, anon, authenticated;
grant execute on function public.complete_generation(uuid, numeric, text, integer, numeric) to credits_service;
