-- Up Migration
-- The failure path never refuses a refund for its message's sake, and in-flight tasks cannot be
-- lost by the sweeper's low-water mark (issue 10, items 4 and 9).
--
-- 1. enhancement_tasks.error_message_normalised: null when error_message is the caller's text as
--    given; 'defaulted' when fail_generation got a null or blank message and stored a default
--    reason; 'truncated' when it got more than 10,000 characters and stored the first 10,000.
--    Nullable without a default: adding it rewrites nothing. No index and no CHECK (a CHECK is
--    re-planned in every write on PostgreSQL 15; only fail_generation writes the column).
-- 2. credits_private.sweeper_state.margin: how far the low-water marks of the sweeper and of the
--    rollup refresh stay behind the oldest open transaction (credits_private.in_flight_horizon),
--    for clock steps and the instant between a transaction taking its start time and publishing
--    it. The marks no longer rely on it to cover long transactions.

alter table public.enhancement_tasks add column error_message_normalised text;
comment on column public.enhancement_tasks.error_message_normalised is
  'null: error_message as the caller gave it; defaulted: none or blank was given; truncated: it was cut to 10,000 characters.';

alter table credits_private.sweeper_state
  add column margin interval not null default '10 minutes'
    constraint sweeper_state_margin_check check (margin >= interval '0');

-- What a previous down saved (a rollback loses nothing).
do $$
begin
  if to_regclass('archive.m0009_enhancement_tasks') is not null then
    update public.enhancement_tasks t set error_message_normalised = a.error_message_normalised
      from archive.m0009_enhancement_tasks a where a.id = t.id;
    drop table archive.m0009_enhancement_tasks;
  end if;
  if to_regclass('archive.m0009_sweeper_state') is not null then
    update credits_private.sweeper_state s set margin = a.margin
      from archive.m0009_sweeper_state a where a.name = s.name;
    drop table archive.m0009_sweeper_state;
  end if;
end;
$$;

-- Down Migration
-- Saves the added columns' values in schema archive, then drops the columns; the next up
-- restores them.
create schema if not exists archive;
revoke all on schema archive from public;
drop table if exists archive.m0009_enhancement_tasks, archive.m0009_sweeper_state;
create table archive.m0009_enhancement_tasks as
  select id, error_message_normalised from public.enhancement_tasks where error_message_normalised is not null;
create table archive.m0009_sweeper_state as select name, margin from credits_private.sweeper_state;
alter table public.enhancement_tasks drop column error_message_normalised;
alter table credits_private.sweeper_state drop column margin;
