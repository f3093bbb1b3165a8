-- Up Migration
-- Removes the fake "platform credit pools" (contract §6): credit_pools, credit_purchase_requests
-- and consume_platform_credits() leave schema public for schema archive, rows and all. The
-- tables are moved, not copied (ALTER TABLE … SET SCHEMA keeps every row, column, default,
-- constraint, index and owned sequence exactly); the function's definition and privileges are
-- kept in archive.archived_functions. No refill function remains. The down migration puts all
-- three back as they were.
--
-- It refuses, naming them, while other objects still depend on the pools: views reading the
-- tables, foreign keys pointing at them, functions whose body mentions them. `credits cleanup
-- check` runs this section in a rolled-back transaction to show the same answer beforehand.

do $$
declare
  v_dependants text;
begin
  select string_agg(what, E'\n' order by what) into v_dependants
    from (
      select distinct format('view %s reads %s', v.oid::regclass, d.refobjid::regclass) what
        from pg_catalog.pg_depend d
        join pg_catalog.pg_rewrite r on r.oid = d.objid
        join pg_catalog.pg_class v on v.oid = r.ev_class
       where d.classid = 'pg_catalog.pg_rewrite'::regclass
         and d.refobjid in ('public.credit_pools'::regclass, 'public.credit_purchase_requests'::regclass)
         and v.oid <> d.refobjid
      union all
      select format('foreign key %s on %s references %s', c.conname, c.conrelid::regclass, c.confrelid::regclass)
        from pg_catalog.pg_constraint c
       where c.contype = 'f'
         and c.confrelid in ('public.credit_pools'::regclass, 'public.credit_purchase_requests'::regclass)
         and c.conrelid not in ('public.credit_pools'::regclass, 'public.credit_purchase_requests'::regclass)
      union all
      select format('function %s mentions %s', p.oid::regprocedure,
                    substring(p.prosrc from '(?i)(consume_platform_credits|credit_purchase_requests|credit_pools)'))
        from pg_catalog.pg_proc p
        join pg_catalog.pg_namespace n on n.oid = p.pronamespace
       where n.nspname not in ('pg_catalog', 'information_schema', 'archive')
         and p.oid <> 'public.consume_platform_credits(text, integer)'::regprocedure
         and p.prosrc ~* '(consume_platform_credits|credit_purchase_requests|credit_pools)'
    ) found;
  if v_dependants is not null then
    raise exception using errcode = '2BP01',
      message = 'cannot archive the platform credit pools: other objects still depend on them',
      detail = v_dependants,
      hint = 'Remove or rewrite these objects (they read fake pool balances), then migrate again.';
  end if;
end;
$$;

create schema if not exists archive;
comment on schema archive is 'What the credits package removed from public, kept for a way back.';
revoke all on schema archive from public;

create table archive.archived_functions (
  signature text primary key,
  definition text not null,
  acl text,
  archived_at timestamptz not null default now()
);
comment on table archive.archived_functions is 'Functions removed by a migration: definition and privileges, for its down migration.';

insert into archive.archived_functions (signature, definition, acl)
select format('public.%s(%s)', p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid)),
       pg_catalog.pg_get_functiondef(p.oid), p.proacl::text
  from pg_catalog.pg_proc p
 where p.oid = 'public.consume_platform_credits(text, integer)'::regprocedure;

alter table public.credit_pools set schema archive;
alter table public.credit_purchase_requests set schema archive;
drop function public.consume_platform_credits(text, integer);

-- Down Migration
alter table archive.credit_pools set schema public;
alter table archive.credit_purchase_requests set schema public;

do $$
declare
  v_function record;
begin
  for v_function in select * from archive.archived_functions where signature like 'public.consume_platform_credits(%' loop
    execute v_function.definition;
    -- Back to the privileges it had: revoke the default, re-grant each saved entry
    -- (a null ACL is PostgreSQL's default: EXECUTE for PUBLIC).
    execute format('revoke all on function %s from public', v_function.signature);
    if v_function.acl is null then
      execute format('grant execute on function %s to public', v_function.signature);
    else
      execute coalesce((
        select string_agg(format('grant execute on function %s to %s', v_function.signature,
                                 case when a.grantee = 0 then 'public' else quote_ident(a.grantee::regrole::text) end), '; ')
          from aclexplode(v_function.acl::aclitem[]) a
         where a.privilege_type = 'EXECUTE'), 'select');
    end if;
  end loop;
end;
$$;

drop table archive.archived_functions;
