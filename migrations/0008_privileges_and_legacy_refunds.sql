-- Up Migration
-- Privileges (issue 10, items 10-13) and legacy refunds the ledger cannot explain (item 5).

-- ---------------------------------------------------------------------------------------------
-- The installer's default privileges. 0002 ran `alter default privileges revoke execute on
-- functions from public` without a schema: every function the installing role created later,
-- in any schema of the database, was no longer executable by PUBLIC. Give the installer its
-- default back. The package's own functions do not need it: each file revokes EXECUTE
-- explicitly in the transaction that creates it (a per-schema default cannot take back a
-- global one, so the package's schemas cannot have their own).
alter default privileges grant execute on functions to public;

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

-- Down Migration
-- End users read every column of their rows again (revoking the table privilege takes the
-- column privileges with it).
revoke select on public.enhancement_tasks, public.credit_transactions from authenticated;
grant select on public.enhancement_tasks, public.credit_transactions to authenticated;

-- Back to 0002's default (0002's own down gives the installer PUBLIC's EXECUTE back). Revoked
-- write privileges stay revoked: nobody but the owner was ever meant to write the ledger.
alter default privileges revoke execute on functions from public;
