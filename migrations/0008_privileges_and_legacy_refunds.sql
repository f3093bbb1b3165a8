-- Up Migration
-- Privileges (issue 10, items 10-13) and legacy refunds the ledger cannot explain (item 5).

-- (Releases before issue 22 changed the installer's global default privileges here, granting
-- EXECUTE on functions back to PUBLIC after 0002 had revoked it; neither does so any more: the
-- package sets default privileges in its own schemas only. docs/operations.md says how a
-- database that ran the old 0008 restores a hardened default.)

-- ---------------------------------------------------------------------------------------------
-- The ledger is written only through the package's functions (which run as the tables' owner):
-- no other role keeps a write privilege on a package table or view, whatever default
-- privileges granted (Supabase grants ALL on new tables in public to anon, authenticated and
-- service_role). Every deploy re-applies this rule (src/migrate/privileges.ts).
do $$
declare
  v_grant record;
begin
  for v_grant in
    select distinct format('%I.%I', n.nspname, c.relname) as relation,
           case when a.grantee = 0 then 'public' else a.grantee::regrole::text end as grantee,
           a.grantor::regrole::text as grantor
      from pg_class c
      join pg_namespace n on n.oid = c.relnamespace
      -- the table's privileges and its columns' (a column grant of INSERT or UPDATE is a write too)
      cross join lateral (select c.relacl
                          union all
                          select att.attacl from pg_attribute att where att.attrelid = c.oid and att.attacl is not null) acl (acl)
      cross join lateral aclexplode(acl.acl) a
     where c.relkind in ('r', 'p', 'v', 'm', 'f')
       and (n.nspname in ('credits_private', 'credits_meta', 'monitoring', 'archive')
            or (n.nspname = 'public' and c.relname in ('user_credits', 'credit_transactions',
                  'enhancement_tasks', 'credit_tiers', 'provider_prices')))
       and a.grantee <> c.relowner
       and a.privilege_type in ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER')
  loop
    execute format('revoke insert, update, delete, truncate, references, trigger on table %s from %s granted by %s cascade',
                   v_grant.relation, v_grant.grantee, v_grant.grantor);
  end loop;
end;
$$;

-- ---------------------------------------------------------------------------------------------
-- What end users read (contract §8, v1.2): never the platform's upstream cost or internal keys.
-- They hold SELECT on the user-facing columns only; views/public/my_generations.sql and
-- my_credit_transactions.sql serve those columns to PostgREST's select=* (row-level security
-- applies through security_invoker). user_credits holds nothing internal: read as before.
revoke select on public.enhancement_tasks, public.credit_transactions from authenticated;
grant select (id, user_id, task_type, provider, model, status, credits_used, result_url,
              created_at, updated_at, completed_at)
  on public.enhancement_tasks to authenticated;
grant select (id, user_id, amount, type, task_id, provider, monthly_amount, balance_after,
              period_start, created_at)
  on public.credit_transactions to authenticated;

-- ---------------------------------------------------------------------------------------------
-- Legacy refund rows that refund no charge (issue 10, item 5). The legacy application wrote
-- 'refund' rows that are not a task's refund in the contract's sense: a goodwill refund on a
-- task that completed (verify_ledger would report refund_not_failed forever), on a task still
-- in flight (its real refund, when it fails, would meet the unique index), with no task or a
-- task that does not exist, on another user's task, on a task never charged, of zero or a
-- negative amount (the task looks refunded though nothing came back). Each becomes an
-- 'adjustment' row, the reason appended to its description; its amount is unchanged, so every
-- balance is unchanged. A refund larger than its task's charge keeps the charge as the task's
-- refund and moves the excess into an 'adjustment' row beside it (origin 'adoption').
-- archive.m0008_legacy_refunds keeps what each row was; the down migration restores it.
-- Runs on every up, so legacy rows written while the package was rolled back are handled too.
create schema if not exists archive;
revoke all on schema archive from public;
create table archive.m0008_legacy_refunds (
  id uuid primary key,           -- the legacy refund row
  reason text not null,
  amount bigint not null,        -- its amount, monthly part and description before
  monthly_amount bigint not null,
  description text,
  excess_id uuid                 -- the adjustment row holding what exceeded the charge
);
comment on table archive.m0008_legacy_refunds is
  'Legacy refund rows that 0008 re-typed as adjustments or split at their task''s charge; its down restores them.';

insert into archive.m0008_legacy_refunds (id, reason, amount, monthly_amount, description)
select r.id,
       case when r.task_id is null then 'it refunds no task'
            when t.id is null then 'its task does not exist'
            when t.user_id <> r.user_id then 'its task belongs to another user'
            when t.status <> 'failed' then format('its task is %s', t.status)
            when r.amount <= 0 then format('its amount %s is not positive', r.amount)
            when coalesce(u.charged, 0) <= 0 then 'its task was never charged'
            else format('it exceeds the task''s charge of %s', u.charged) end,
       r.amount, r.monthly_amount, r.description
  from public.credit_transactions r
  left join public.enhancement_tasks t on t.id = r.task_id
  left join lateral (select sum(-c.amount) as charged from public.credit_transactions c
                      where c.task_id = r.task_id and c.type = 'usage') u on true
 where r.type = 'refund' and r.origin = 'legacy'
   and (r.task_id is null or t.id is null or t.user_id <> r.user_id or t.status <> 'failed'
        or r.amount <= 0 or coalesce(u.charged, 0) <= 0 or r.amount > u.charged);

-- What exceeded the charge: an adjustment beside the refund, at the same instant.
with excess as (
  select a.id, u.charged
    from archive.m0008_legacy_refunds a
    join public.credit_transactions r on r.id = a.id
    cross join lateral (select sum(-c.amount) as charged from public.credit_transactions c
                         where c.task_id = r.task_id and c.type = 'usage') u
   where a.reason like 'it exceeds%'
), split as (
  update public.credit_transactions r
     set amount = e.charged, monthly_amount = least(r.monthly_amount, e.charged)
    from excess e
   where r.id = e.id
  returning r.*, e.charged
), added as (
  insert into public.credit_transactions
    (user_id, amount, monthly_amount, type, description, task_id, created_at, origin)
  select s.user_id, a.amount - s.charged, a.monthly_amount - s.monthly_amount, 'adjustment',
         format('legacy refund %s paid %s credits for a task charged %s: the excess, recorded at adoption',
                s.id, a.amount, s.charged),
         s.task_id, s.created_at, 'adoption'
    from split s join archive.m0008_legacy_refunds a on a.id = s.id
  returning id, task_id
)
update archive.m0008_legacy_refunds a
   set excess_id = d.id
  from added d join public.credit_transactions r on r.task_id = d.task_id and r.type = 'refund'
 where a.id = r.id;

update public.credit_transactions r
   set type = 'adjustment',
       description = concat_ws(' ', r.description,
                               format('[legacy refund recorded as an adjustment at adoption: %s]', a.reason))
  from archive.m0008_legacy_refunds a
 where a.id = r.id and a.excess_id is null;

-- The rollups count refunds per day: let the next refresh look at every day again.
update monitoring.rollup_state set watermark = '-infinity'
 where exists (select 1 from archive.m0008_legacy_refunds);

-- Down Migration
-- End users read every column of their rows again (revoking the table privilege takes the
-- column privileges with it).
revoke select on public.enhancement_tasks, public.credit_transactions from authenticated;
grant select on public.enhancement_tasks, public.credit_transactions to authenticated;

-- Revoked write privileges stay revoked: nobody but the owner was ever meant to write the ledger.

-- Legacy refunds back to what they were. A re-typed row whose task has been refunded since (the
-- sweeper or the backfill paid the task's real refund) stays an adjustment: two refunds of one
-- task would break the ledger; its description and amount are restored all the same.
delete from public.credit_transactions c
 using archive.m0008_legacy_refunds a
 where c.id = a.excess_id;
update public.credit_transactions r
   set amount = a.amount, monthly_amount = a.monthly_amount, description = a.description,
       type = case when r.task_id is not null and exists (
                     select 1 from public.credit_transactions o
                      where o.task_id = r.task_id and o.type = 'refund' and o.id <> r.id)
                   then r.type else 'refund' end
  from archive.m0008_legacy_refunds a
 where a.id = r.id;
update monitoring.rollup_state set watermark = '-infinity'
 where exists (select 1 from archive.m0008_legacy_refunds);
drop table archive.m0008_legacy_refunds;
