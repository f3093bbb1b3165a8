-- Up Migration
-- The platform as found (contract §1). New databases create it; an existing production
-- database is adopted with `credits migrate adopt`, which records this migration as applied
-- without running it. Kept verbatim: later migrations build on exactly this shape.

create table public.user_credits (
  user_id uuid primary key,
  tier text not null default 'free',
  credits integer not null default 0,
  monthly_allowance integer not null default 0,
  credits_used_this_month integer not null default 0,
  last_allocation_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table public.credit_transactions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null,
  amount integer not null,
  type text not null,
  description text,
  task_id uuid,
  provider text,
  provider_cost_usd numeric(10,4),
  created_at timestamptz not null default now()
);

create table public.enhancement_tasks (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null,
  task_type text not null,
  provider text not null,
  status text not null default 'pending',
  credits_used integer not null default 0,
  external_task_id text,
  error_message text,
  result_url text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  completed_at timestamptz
);

create table public.credit_pools (
  id serial primary key,
  provider text not null,
  total_credits integer not null,
  remaining_credits integer not null,
  updated_at timestamptz not null default now()
);

insert into public.credit_pools (provider, total_credits, remaining_credits)
values ('wavespeed', 1000, 1000), ('nanobanana', 500, 500);

create table public.credit_purchase_requests (
  id serial primary key,
  provider text not null,
  amount integer not null,
  status text not null default 'pending',
  requested_by uuid,
  created_at timestamptz not null default now()
);

create function public.consume_platform_credits(p_provider text, p_amount integer)
returns boolean
language plpgsql
as $$
begin
  update public.credit_pools
     set remaining_credits = remaining_credits - p_amount, updated_at = now()
   where provider = p_provider;
  return found;
end;
$$;

-- Down Migration
do $$
begin
  raise exception using
    errcode = 'CR005',
    message = 'the legacy baseline cannot be rolled back',
    detail = 'Migration 0001 describes the production schema the package was adopted on.',
    hint = 'Roll back to 0001 at most (credits migrate down until only 0001_legacy_baseline remains).';
end;
$$;
