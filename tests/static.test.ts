// plpgsql_check reads every PL/pgSQL function of the package, in every schema it creates
// (public, credits_private, monitoring, and any later one: all but the system's and extensions'
// own), as the planner would and reports what no test may reach: unknown columns, type
// mismatches, unused variables, implicit casts.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/db.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ max: 1 });
  await db.sql`create extension plpgsql_check`;
});
afterAll(() => db.drop());

it('plpgsql_check finds nothing in any function, at every warning level', async () => {
  const findings = await db.sql`
    select p.oid::regprocedure::text as function, r.lineno, r.level, r.message
      from pg_proc p
      join pg_namespace n on n.oid = p.pronamespace
      join pg_language l on l.oid = p.prolang
     -- a trigger's function is read with the table of its trigger (credit_tiers' limits)
     cross join lateral plpgsql_check_function_tb(p.oid,
                 relid => coalesce((select t.tgrelid from pg_trigger t where t.tgfoid = p.oid limit 1), 0),
                 fatal_errors => false, extra_warnings => true,
                 other_warnings => true, performance_warnings => true, security_warnings => true) r
     where n.nspname not in ('pg_catalog', 'information_schema') and l.lanname = 'plpgsql'
       and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
       and p.proname <> 'consume_platform_credits'`;
  expect(findings).toEqual([]);
  const checked = await db.sql`
    select n.nspname as schema, count(*)::int n from pg_proc p join pg_namespace n on n.oid = p.pronamespace join pg_language l on l.oid = p.prolang
     where n.nspname not in ('pg_catalog', 'information_schema') and l.lanname = 'plpgsql'
       and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
     group by 1 order by 1`;
  expect(checked.map((c) => c.schema)).toEqual(['credits_private', 'monitoring', 'monitoring_private', 'public']);
  expect(checked.reduce((n, c) => n + c.n, 0)).toBeGreaterThan(10);
});
