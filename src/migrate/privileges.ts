// The privileges every deploy re-establishes, whatever the server's default privileges handed
// out meanwhile (Supabase grants ALL on each new table in public to anon, authenticated and
// service_role, so a table a later migration adds arrives writable by all three):
//   1. the package's tables and views are written only by their owner, that is through the
//      package's functions: INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER and MAINTAIN held by any
//      other role (PUBLIC included, column grants included) are revoked; and anon, which may do
//      nothing (contract §8), keeps no privilege at all on them (Supabase grants it SELECT too);
//   2. Supabase's service_role is NOINHERIT, so its membership in credits_service gives it
//      nothing: where it exists, it is granted directly what is granted to credits_service.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ClientBase } from 'pg';

/** Schemas that belong to the package as a whole. */
export const packageSchemas = ['credits_private', 'credits_meta', 'monitoring', 'monitoring_private', 'archive'];
/**
 * The legacy platform's pools stay the legacy application's while they are in public: 0003
 * moves them to schema archive (covered above), and its down gives them back as they were.
 */
const legacyOnlyTables = ['credit_pools', 'credit_purchase_requests'];

/**
 * The package's tables in public: every table a migration creates there, so that a table a
 * later migration adds is covered without anyone remembering to list it.
 */
export async function packagePublicTables(root: string): Promise<string[]> {
  const dir = path.join(root, 'migrations');
  const names = new Set<string>();
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.sql'))) {
    const sql = await readFile(path.join(dir, file), 'utf8');
    for (const m of sql.matchAll(/create\s+(?:unlogged\s+)?table\s+(?:if\s+not\s+exists\s+)?public\.(\w+)/gi))
      names.add(m[1]!.toLowerCase());
  }
  return [...names].filter((n) => !legacyOnlyTables.includes(n)).sort();
}

/** MAINTAIN (PostgreSQL 17+: VACUUM, REINDEX, LOCK TABLE…) is granted by Supabase's ALL as well. */
const writePrivileges = ['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER', 'MAINTAIN'];

/** Every write privilege on a package relation held by a role other than its owner, and anything anon holds, as one REVOKE per grant. */
const revokeWrites = `
  with relations as (
    select c.oid, c.relowner, c.relacl, format('%I.%I', n.nspname, c.relname) as name
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.relkind in ('r', 'p', 'v', 'm', 'f')
       and (n.nspname = any($1::text[]) or (n.nspname = 'public' and c.relname = any($2::text[])))
  ), held as (
    select r.name, a.grantee, a.grantor, a.privilege_type from relations r, aclexplode(r.relacl) a
     where a.grantee <> r.relowner and (a.privilege_type = any($3::text[]) or a.grantee = to_regrole('anon'))
    union
    select r.name, a.grantee, a.grantor, a.privilege_type from relations r join pg_attribute att on att.attrelid = r.oid, aclexplode(att.attacl) a
     where a.grantee <> r.relowner and (a.privilege_type = any($3::text[]) or a.grantee = to_regrole('anon'))
  )
  select name, case when grantee = 0 then 'public' else grantee::regrole::text end as grantee,
         -- the privileges held, by name: each server version knows its own (MAINTAIN since 17)
         format('revoke %s on table %s from %s granted by %s cascade',
                case when grantee = to_regrole('anon') then 'all' else string_agg(distinct lower(privilege_type), ', ') end,
                name, case when grantee = 0 then 'public' else grantee::regrole::text end, grantor::regrole) as statement
    from held group by name, grantee, grantor order by 1, 2`;

/** What credits_service holds directly and service_role does not: schema usage, table reads, function calls. */
const mirrorServiceRole = `
  with service as (select to_regrole('credits_service') as service, to_regrole('service_role') as supabase)
  select format('grant usage on schema %I to service_role', n.nspname) as statement
    from service, pg_namespace n, aclexplode(n.nspacl) a
   where supabase is not null and a.grantee = service and a.privilege_type = 'USAGE'
     and not exists (select 1 from aclexplode(n.nspacl) b where b.grantee = supabase and b.privilege_type = 'USAGE')
  union all
  select format('grant select on table %I.%I to service_role', n.nspname, c.relname)
    from service, pg_class c join pg_namespace n on n.oid = c.relnamespace, aclexplode(c.relacl) a
   where supabase is not null and a.grantee = service and a.privilege_type = 'SELECT'
     and not exists (select 1 from aclexplode(c.relacl) b where b.grantee = supabase and b.privilege_type = 'SELECT')
  union all
  select format('grant execute on routine %s to service_role', p.oid::regprocedure)
    from service, pg_proc p, aclexplode(p.proacl) a
   where supabase is not null and a.grantee = service and a.privilege_type = 'EXECUTE'
     and not exists (select 1 from aclexplode(p.proacl) b where b.grantee = supabase and b.privilege_type = 'EXECUTE')
  order by 1`;

export interface ForeignGrant {
  relation: string;
  grantee: string;
}

/** Write privileges on the package's relations held by anyone but the owner, and anon's privileges (empty when sound). */
export async function foreignGrants(client: ClientBase, publicRelations: string[]): Promise<ForeignGrant[]> {
  const { rows } = await client.query<{ name: string; grantee: string }>(revokeWrites, [packageSchemas, publicRelations, writePrivileges]);
  return rows.map((r) => ({ relation: r.name, grantee: r.grantee }));
}

/**
 * Re-establishes both rules on the package's schemas and on `publicRelations` (its tables and
 * views in public) in one transaction and returns the statements it ran. Fails when a
 * write privilege survives (a grant this role cannot revoke): the deploy must not end unsound.
 */
export async function enforcePrivileges(client: ClientBase, publicRelations: string[]): Promise<string[]> {
  const params = [packageSchemas, publicRelations, writePrivileges];
  const ran: string[] = [];
  await client.query('begin');
  try {
    for (const { statement } of (await client.query<{ statement: string }>(revokeWrites, params)).rows) {
      await client.query(statement);
      ran.push(statement);
    }
    for (const { statement } of (await client.query<{ statement: string }>(mirrorServiceRole)).rows) {
      await client.query(statement);
      ran.push(statement);
    }
    const left = await foreignGrants(client, publicRelations);
    if (left.length > 0) {
      throw Object.assign(new Error(`privileges on the ledger remain: ${left.map((g) => `${g.grantee} on ${g.relation}`).join(', ')}`), {
        code: '42501',
        hint: 'revoke them as their grantor, then run migrate up again',
      });
    }
    await client.query('commit');
    return ran;
  } catch (error) {
    await client.query('rollback');
    throw error;
  }
}
