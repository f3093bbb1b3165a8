// Every view and function a role is meant to use actually works for that role. The list comes
// from the catalog, not from a hand-written list, so a view or function added later is probed
// too: a view that calls a helper its reader may not execute (42501 at read time) cannot hide.
// And what a role is not meant to use stays closed to it (42501).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/db.js';
import { newAccount, type Sql, startGeneration } from './helpers/ledger.js';

let db: TestDatabase;
let user: string;
beforeAll(async () => {
  db = await createTestDatabase({ max: 2 });
  // A little of everything, so the probes run their code paths on real rows.
  user = await newAccount(db.sql, 'pro');
  for (let i = 0; i < 4; i++) {
    const { task_id } = await startGeneration(db.sql, user, 1);
    await db.sql`select mark_generation_submitted(${task_id}, ${`job-${task_id}`})`;
    if (i === 0) await db.sql`select complete_generation(${task_id}, 0.02)`;
    if (i === 1) await db.sql`select complete_generation(${task_id})`;
    if (i === 2) await db.sql`select fail_generation(${task_id}, 'content filter', 'callback')`;
  }
  await db.sql`select * from monitoring.refresh_rollups()`;
});
afterAll(() => db.drop());

/** Functions of schema monitoring that the scheduler runs and the analyst must not. */
const serviceOnly = ['refresh_rollups'];
const roles = ['credits_analyst', 'credits_service', 'authenticated', 'anon', 'service_role'];

/** Runs each statement as `role` (each in a savepoint, all rolled back); returns the failures. */
async function probe(role: string, statements: string[]): Promise<string[]> {
  const failures: string[] = [];
  const rollback = new Error('rollback');
  await db.sql
    .begin(async (tx) => {
      await tx`select set_config('request.jwt.claims', ${JSON.stringify({ sub: user, role: 'authenticated' })}, true)`;
      await tx.unsafe(`set local role ${role}`);
      for (const statement of statements) {
        await tx`savepoint probe`;
        try {
          await tx.unsafe(statement);
          await tx`release savepoint probe`;
        } catch (error) {
          await tx`rollback to savepoint probe`;
          failures.push(`${role}: ${statement} → ${(error as { code?: string }).code} ${(error as Error).message}`);
        }
      }
      throw rollback;
    })
    .catch((e) => {
      if (e !== rollback) throw e;
    });
  return failures;
}

it('the analyst reads every monitoring view and calls every monitoring function meant for it', async () => {
  const views = await db.sql<{ name: string }[]>`
    select format('%I.%I', n.nspname, c.relname) as name
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'monitoring' and c.relkind in ('v', 'm') order by 1`;
  // Required arguments get typed NULLs: every such function answers NULL, not an error, for them.
  const functions = await db.sql<{ name: string; call: string }[]>`
    select p.proname as name,
           format('select * from %I.%I(%s)', n.nspname, p.proname,
                  (select string_agg('null::' || format_type(t, null), ', ')
                     from unnest(p.proargtypes[0:p.pronargs - p.pronargdefaults - 1]) t)) as call
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where n.nspname = 'monitoring' order by 1`;
  expect(views.length).toBeGreaterThanOrEqual(13);
  const calls = functions.filter((f) => !serviceOnly.includes(f.name)).map((f) => f.call);
  const failures = await probe('credits_analyst', [
    ...views.map((v) => `select * from ${v.name} limit 5`),
    ...calls,
    'select * from public.verify_ledger()',
    'select public.admin_credit_stats()',
  ]);
  expect(failures).toEqual([]);
  // What the analyst is not meant to run stays closed to it.
  const [closed] = await db.sql`
    select bool_and(not has_function_privilege('credits_analyst', p.oid, 'execute')) as closed
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where n.nspname = 'monitoring' and p.proname = any(${serviceOnly})`;
  expect(closed!.closed).toBe(true);
});

it('every view of the package works for every role granted SELECT on it', async () => {
  const grants = await db.sql<{ role: string; name: string }[]>`
    select r.rolname as role, format('%I.%I', n.nspname, c.relname) as name
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      join pg_roles r on r.rolname = any(${roles})
     where c.relkind in ('v', 'm') and n.nspname not in ('pg_catalog', 'information_schema')
       and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
       and has_table_privilege(r.oid, c.oid, 'select')
     order by 1, 2`;
  const failures: string[] = [];
  for (const role of new Set(grants.map((g) => g.role))) {
    failures.push(
      ...(await probe(
        role,
        grants.filter((g) => g.role === role).map((g) => `select * from ${g.name} limit 5`),
      )),
    );
  }
  expect(failures).toEqual([]);
});

/** Runs `work` as `role` in a transaction that is always rolled back; returns what it returned. */
async function asRole<T>(role: string, work: (tx: Sql) => Promise<T>): Promise<T> {
  let result: T | undefined;
  const rollback = new Error('rollback');
  await db.sql
    .begin(async (tx) => {
      await tx.unsafe(`set local role ${role}`);
      result = await work(tx as unknown as Sql);
      throw rollback;
    })
    .catch((e) => {
      if (e !== rollback) throw e;
    });
  return result!;
}

/** The SQLSTATE a statement fails with (inside a savepoint, so the transaction goes on), or 'ok'. */
async function denied(tx: Sql, query: string): Promise<string> {
  await tx`savepoint probe`;
  try {
    await tx.unsafe(query);
    await tx`release savepoint probe`;
    return 'ok';
  } catch (error) {
    await tx`rollback to savepoint probe`;
    return (error as { code: string }).code;
  }
}

it('the analyst reads monitoring only; end users and anon read none of it', async () => {
  expect(
    await asRole('credits_analyst', async (tx) => {
      await tx`select * from monitoring.summary`;
      await tx`select admin_credit_stats()`;
      return [
        await denied(tx, `select * from public.enhancement_tasks`),
        await denied(tx, `update monitoring.thresholds set value = 0 where name = 'stuck_tasks_max'`),
        await denied(tx, `select * from monitoring.refresh_rollups()`),
      ];
    }),
  ).toEqual(['42501', '42501', '42501']);
  for (const role of ['authenticated', 'anon']) {
    expect(
      await asRole(role, async (tx) => [
        await denied(tx, `select * from monitoring.platform_health`),
        await denied(tx, `select * from monitoring.task_rollup_daily`),
        await denied(tx, `select admin_credit_stats()`),
      ]),
    ).toEqual(['42501', '42501', '42501']);
  }
  const [grants] = await db.sql`select has_function_privilege('credits_service', 'monitoring.refresh_rollups(boolean)', 'execute') refresh,
                                       has_function_privilege('credits_analyst', 'public.admin_credit_stats(timestamptz,timestamptz,boolean)', 'execute') stats`;
  expect(grants).toEqual({ refresh: true, stats: true });
});
