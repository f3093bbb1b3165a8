-- complete_generation: the generation succeeded. Moves the task to 'completed' and records the
-- provider's cost: the one passed, else the model's price in effect when the task started
-- (credits_private.provider_price_ranges' rule, written inline: see the UPDATE).
-- Duplicate and late callbacks never raise: a completed task reports 'already_completed', a
-- failed one 'ignored_already_failed', and no balance changes. A failed task that its provider
-- generated after all (a late success after an API timeout or a sweep) keeps its refund and its
-- status; its cost (the one passed, else the price) is recorded on it, once, with the late result
-- in credits_private.late_results, so the spend shows in monitoring as spend without revenue.
-- Result: task_id, status, outcome ('completed', 'already_completed', 'ignored_already_failed').
-- Errors: CR003 invalid argument, CR004 no such task.
-- Never null: task_id, status, outcome.
-- SECURITY DEFINER: the service role calls it without any privilege on the tables.
create or replace function public.complete_generation(
  p_task_id uuid,
  p_provider_cost_usd numeric default null,
  p_result_url text default null,
  out task_id uuid,
  out status text,
  out outcome text
)
language plpgsql
volatile
security definer
set search_path to pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_late_cost numeric;
begin
  -- Checked in one expression; the helpers run only to raise the precise error.
  if not (p_task_id is not null
          and (p_provider_cost_usd is null or p_provider_cost_usd between 0 and 10000)
          and (p_result_url is null or coalesce(btrim(p_result_url, E' \t\n\r\f\x0B\u0085\u00A0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200A\u200B\u200C\u200D\u2028\u2029\u202F\u205F\u2060\u3000\uFEFF') <> '' and length(p_result_url) <= 4096, false))) then
    perform credits_private.require_present('p_task_id', p_task_id);
    perform credits_private.require_cost('p_provider_cost_usd', p_provider_cost_usd);
    perform credits_private.require_text('p_result_url', p_result_url, 4096);
  end if;

  update public.enhancement_tasks t
     set status = 'completed',
         provider_cost_usd = coalesce(p_provider_cost_usd,
           -- the price in effect (credits_private.provider_price_ranges) written inline: the view's
           -- plan costs every completion 1.2 % more to set up, run or not; held to the view by
           -- tests/credits_private/provider_price_ranges.sql (the late result below reads the view)
           (select pp.cost_usd from public.provider_prices pp
             where pp.provider = t.provider and pp.model = t.model and pp.effective_from <= t.created_at
             order by pp.effective_from desc limit 1)),
         result_url = coalesce(p_result_url, t.result_url),
         completed_at = now(), updated_at = now()
   where t.id = p_task_id and t.status in ('pending', 'processing')
  returning t.id, t.status into task_id, status;
  if found then
    outcome := 'completed';
    return;
  end if;

  select t.id, t.status into task_id, status from public.enhancement_tasks t where t.id = p_task_id;
  if not found then
    perform credits_private.raise_no_task(p_task_id);
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
             (select p.cost_usd from credits_private.provider_price_ranges p
               where p.provider = t.provider and p.model = t.model and p.in_effect @> t.created_at)),
           p_result_url
      from public.enhancement_tasks t where t.id = p_task_id
    on conflict on constraint late_results_pkey do nothing
    returning l.provider_cost_usd into v_late_cost;
    if v_late_cost is not null then
      update public.enhancement_tasks t set provider_cost_usd = v_late_cost where t.id = p_task_id;
    end if;
  end if;
  outcome := case status when 'completed' then 'already_completed' else 'ignored_already_failed' end;
end;
$$;

comment on function public.complete_generation(uuid, numeric, text) is
  'Marks a generation completed and records its provider cost; idempotent, never refunds.';
revoke all on function public.complete_generation(uuid, numeric, text) from public, anon, authenticated;
grant execute on function public.complete_generation(uuid, numeric, text) to credits_service;
