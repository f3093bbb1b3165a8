-- A benchmark baseline, not part of the package: the same three calls written the
-- straightforward way on the legacy schema alone (migration 0001: primary keys only, one balance
-- column), as SECURITY DEFINER PL/pgSQL with a pinned search_path like the package's functions,
-- but without what the contract asks for beyond that: no buckets, no idempotency key, no
-- argument checks, no row checks, no other index. It shows what those guarantees cost.
-- Runs after 0001's up section, in a database of its own; tools/bench.ts adds the accounts.

create function public.start_generation(p_user_id uuid, p_task_type text, p_provider text, p_model text,
                                        p_credits integer, out task_id uuid, out balance integer)
language plpgsql security definer set search_path to pg_catalog, pg_temp as $$
declare
  v_credits integer;
begin
  select uc.credits into v_credits from public.user_credits uc where uc.user_id = p_user_id for update;
  if not found then
    raise exception using errcode = 'CR002', message = 'no credit account for this user';
  end if;
  if v_credits < p_credits then
    raise exception using errcode = 'CR001', message = 'insufficient credits';
  end if;
  insert into public.enhancement_tasks (user_id, task_type, provider, credits_used)
  values (p_user_id, p_task_type, p_provider, p_credits)
  returning id into task_id;
  update public.user_credits set credits = v_credits - p_credits, updated_at = now() where user_id = p_user_id;
  insert into public.credit_transactions (user_id, amount, type, task_id, provider)
  values (p_user_id, -p_credits, 'usage', task_id, p_provider);
  balance := v_credits - p_credits;
end $$;

create function public.mark_generation_submitted(p_task_id uuid, p_external_task_id text) returns void
language plpgsql security definer set search_path to pg_catalog, pg_temp as $$
begin
  update public.enhancement_tasks set status = 'processing', external_task_id = p_external_task_id, updated_at = now()
   where id = p_task_id and status = 'pending';
end $$;

create function public.complete_generation(p_task_id uuid, p_provider_cost_usd numeric) returns void
language plpgsql security definer set search_path to pg_catalog, pg_temp as $$
begin
  update public.enhancement_tasks set status = 'completed', completed_at = now(), updated_at = now()
   where id = p_task_id and status in ('pending', 'processing');
end $$;
