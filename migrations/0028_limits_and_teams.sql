-- Up Migration
-- Limits and team balances (issue 27, contract §12).
-- 1. Limits. credit_tiers.max_in_flight and daily_credit_limit are the tiers' defaults (null: no
--    limit; the seeded tiers have none). An account's own limits (set_credit_limits: null the
--    tier's, 0 none, positive its own) and what its limits are checked against live in
--    credits_private.account_limits, not in user_credits: every column of user_credits costs
--    every statement that reads or writes an account (measured: eight columns there cost a start
--    3.7 %). user_credits.limited_since says whether any limit is in effect (null: none; else
--    since when, kept while limited), kept wherever a tier or an account's own limits change
--    (the trigger below gives a tier's change to its accounts at once; its function is a
--    definition, functions/credits_private/apply_tier_limits.sql, created here first because the
--    trigger needs it). A charge of an unlimited account reads that one column; a limited one
--    counts its charge (credits_private.count_against_limits):
--    - in_flight_at_most: at least the generations in flight the account pays for; only a
--      recount (credits_private.count_in_flight), run when it reaches the limit, lowers it, so a
--      completion never writes the account. in_flight_since: no generation in flight the account
--      pays for is older (where the recount reads from).
--    - spent_today, of the UTC day ending at spent_today_until (a charge compares instants, no
--      time zone): charges made that day less their refunds and settlements, never negative.
--    - counted_since: the limited_since they were counted in; another (the account was unlimited
--      meanwhile, its charges uncounted) means unknown: recounted from the ledger.
-- 2. Teams. A team is an account (user_credits, its id the team's) listed in credits_private.teams;
--    its members in credits_private.team_members with their own daily cap and spend (a removed
--    member's row stays, removed_at set, so a removal and re-adding never resets a day's spend).
--    enhancement_tasks.account_id: the team that paid (null: the task's user's own account);
--    credit_transactions.member_id: on a team's rows, the member whose generation they are.
-- 3. public.credit_balance gains the limits in effect and today's usage.
alter table public.credit_tiers
  add column max_in_flight integer
    constraint credit_tiers_max_in_flight_check check (max_in_flight between 1 and 1000000),
  add column daily_credit_limit integer
    constraint credit_tiers_daily_credit_limit_check check (daily_credit_limit between 1 and 100000000);
comment on column public.credit_tiers.max_in_flight is
  'Generations an account of this tier may have in flight (pending or processing); null: no limit.';
comment on column public.credit_tiers.daily_credit_limit is
  'Credits an account of this tier may spend per UTC day (charges less their refunds); null: no limit.';

alter table public.user_credits add column limited_since timestamptz;
comment on column public.user_credits.limited_since is
  'Null: no limit in effect (the tier''s or the account''s own); else since when one is (credits_private.account_limits).';

create table credits_private.account_limits (
  user_id uuid primary key references public.user_credits (user_id),
  max_in_flight_override integer check (max_in_flight_override between 0 and 1000000),
  daily_credit_limit_override integer check (daily_credit_limit_override between 0 and 100000000),
  in_flight_at_most bigint not null default 0,
  in_flight_since timestamptz not null default '-infinity',
  spent_today bigint not null default 0,
  spent_today_until timestamptz not null default '-infinity',
  counted_since timestamptz,
  updated_at timestamptz not null default now()
);
comment on table credits_private.account_limits is
  'An account''s own limits (null: the tier''s, 0: none) and what its limits are checked against while it is limited.';

create table credits_private.teams (
  team_id uuid primary key references public.user_credits (user_id),
  created_at timestamptz not null default now()
);
comment on table credits_private.teams is 'The accounts that are teams: no end user, spent by their members.';

create table credits_private.team_members (
  team_id uuid not null references credits_private.teams (team_id),
  user_id uuid not null,
  daily_credit_limit integer check (daily_credit_limit between 1 and 100000000),
  spent_today bigint not null default 0,
  spent_today_until timestamptz not null default '-infinity',
  added_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  removed_at timestamptz,
  primary key (team_id, user_id)
);
create index team_members_user_id_idx on credits_private.team_members (user_id) where removed_at is null;
comment on table credits_private.team_members is
  'Who may spend a team''s credits, with their own daily cap; removed members keep their row (removed_at).';

alter table public.enhancement_tasks add column account_id uuid;
comment on column public.enhancement_tasks.account_id is
  'The team whose credits paid for the generation; null: the user''s own account.';
grant select (account_id) on public.enhancement_tasks to authenticated;
alter table public.credit_transactions add column member_id uuid;
comment on column public.credit_transactions.member_id is
  'On a team''s rows: the member whose generation the row charges, refunds or settles.';

alter type public.credit_balance
  add attribute max_in_flight integer,
  add attribute daily_credit_limit integer,
  add attribute in_flight bigint,
  add attribute spent_today bigint;

-- The trigger's function, as functions/credits_private/apply_tier_limits.sql has it (the deploy
-- adopts it unchanged).
create or replace function credits_private.apply_tier_limits()
returns trigger
language plpgsql
volatile
set search_path to pg_catalog, pg_temp
as $$
begin
  update public.user_credits uc
     set limited_since = case when x.limited then coalesce(uc.limited_since, now()) end
    from (select u.user_id,
                 case when l.max_in_flight_override = 0 then null else coalesce(l.max_in_flight_override, new.max_in_flight) end is not null
                 or case when l.daily_credit_limit_override = 0 then null else coalesce(l.daily_credit_limit_override, new.daily_credit_limit) end is not null
                   as limited
            from public.user_credits u
            left join credits_private.account_limits l on l.user_id = u.user_id
           where u.tier = new.tier) x
   where uc.user_id = x.user_id and x.limited is distinct from (uc.limited_since is not null);
  return null;
end;
$$;

comment on function credits_private.apply_tier_limits() is
  'Trigger: a tier''s changed limits reach its accounts at once (unless they have their own).';
revoke all on function credits_private.apply_tier_limits() from public;
create trigger credit_tiers_limits_apply
  after update of max_in_flight, daily_credit_limit on public.credit_tiers
  for each row
  when ((old.max_in_flight, old.daily_credit_limit) is distinct from (new.max_in_flight, new.daily_credit_limit))
  execute function credits_private.apply_tier_limits();

-- Up again after a down: what the down kept comes back.
do $$
begin
  if to_regclass('archive.m0028_teams') is not null then
    insert into credits_private.teams select * from archive.m0028_teams on conflict do nothing;
    insert into credits_private.team_members select * from archive.m0028_team_members on conflict do nothing;
    update public.enhancement_tasks t set account_id = a.account_id from archive.m0028_tasks a where a.id = t.id;
    update public.credit_transactions c set member_id = a.member_id from archive.m0028_ledger a where a.id = c.id;
    -- a refund or settlement an earlier release wrote meanwhile names the member too
    update public.credit_transactions c set member_id = t.user_id
      from public.enhancement_tasks t
     where t.id = c.task_id and t.account_id is not null and c.member_id is null and c.type in ('usage', 'refund');
    insert into credits_private.account_limits (user_id, max_in_flight_override, daily_credit_limit_override)
    select a.user_id, a.max_in_flight_override, a.daily_credit_limit_override
      from archive.m0028_limits a join public.user_credits uc on uc.user_id = a.user_id;
    update public.credit_tiers t
       set max_in_flight = a.max_in_flight, daily_credit_limit = a.daily_credit_limit
      from archive.m0028_tiers a where a.tier = t.tier;
    -- limited: its own limit, else its tier's, is one (credits_private.limit_in_effect)
    update public.user_credits uc
       set limited_since = now()
      from public.credit_tiers t
     where t.tier = uc.tier
       and exists (select 1
                     from (select 1) one
                     left join credits_private.account_limits l on l.user_id = uc.user_id
                    where case when l.max_in_flight_override = 0 then null
                               else coalesce(l.max_in_flight_override, t.max_in_flight) end is not null
                       or case when l.daily_credit_limit_override = 0 then null
                               else coalesce(l.daily_credit_limit_override, t.daily_credit_limit) end is not null);
    drop table archive.m0028_teams, archive.m0028_team_members, archive.m0028_tasks, archive.m0028_ledger,
               archive.m0028_tiers, archive.m0028_limits;
  end if;
end;
$$;

-- Down Migration
-- The deploy drops every definition before migrations run down (not this trigger's function: the
-- trigger needs it; dropped here). Teams stay accounts, their ledger rows theirs; which account
-- was a team, its members, who generated what a team paid for and every limit are kept in
-- archive and come back with the next up. A team's generation still in flight is refunded to the
-- team (a refund follows the charge's ledger row).
create schema if not exists archive;
drop table if exists archive.m0028_teams, archive.m0028_team_members, archive.m0028_tasks, archive.m0028_ledger,
                     archive.m0028_tiers, archive.m0028_limits;
create table archive.m0028_teams as select * from credits_private.teams;
create table archive.m0028_team_members as select * from credits_private.team_members;
create table archive.m0028_tasks as select id, account_id from public.enhancement_tasks where account_id is not null;
create table archive.m0028_ledger as select id, member_id from public.credit_transactions where member_id is not null;
create table archive.m0028_tiers as
  select tier, max_in_flight, daily_credit_limit from public.credit_tiers
   where max_in_flight is not null or daily_credit_limit is not null;
create table archive.m0028_limits as
  select user_id, max_in_flight_override, daily_credit_limit_override from credits_private.account_limits
   where max_in_flight_override is not null or daily_credit_limit_override is not null;
drop trigger credit_tiers_limits_apply on public.credit_tiers;
drop function credits_private.apply_tier_limits();
alter type public.credit_balance
  drop attribute max_in_flight, drop attribute daily_credit_limit, drop attribute in_flight, drop attribute spent_today;
alter table public.credit_transactions drop column member_id;
alter table public.enhancement_tasks drop column account_id;
drop table credits_private.team_members, credits_private.teams, credits_private.account_limits;
alter table public.user_credits drop column limited_since;
alter table public.credit_tiers drop column max_in_flight, drop column daily_credit_limit;
