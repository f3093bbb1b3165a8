// The package sets default privileges in its own schemas only. An installer's global defaults
// (hardened with `revoke execute on functions from public`, as Supabase's guides and security
// reviews advise, or PostgreSQL's own) and every other schema's are left as found by migrate up,
// down to the baseline and up again, on a fresh database and on one upgraded from an early
// release.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDown, migrateUp, migrationFiles } from '../src/migrate/index.js';
import { createTestDatabase, type TestDatabase } from './helpers/db.js';

const databases: TestDatabase[] = [];
let allButBaseline: number;
beforeAll(async () => {
  allButBaseline = (await migrationFiles()).length - 1;
});
afterAll(() => Promise.all(databases.map((d) => d.drop())));

/** Every default-privilege entry outside the schemas the package creates. */
async function defaults(db: TestDatabase, outside: string[]) {
  return db.sql`
    select pg_get_userbyid(d.defaclrole) as role, coalesce(n.nspname, '(global)') as schema, d.defaclobjtype as type,
           d.defaclacl::text as acl
      from pg_default_acl d left join pg_namespace n on n.oid = d.defaclnamespace
     where n.nspname is null or n.nspname = any(${outside})
     order by 1, 2, 3`;
}

async function database(hardened: boolean) {
  const db = await createTestDatabase({ empty: true, max: 2 });
  databases.push(db);
  // An app's own defaults: in its schema, in public, and (hardened) the global one.
  await db.sql.unsafe(`create schema app;
    alter default privileges in schema app grant select on tables to public;
    alter default privileges in schema public grant usage on sequences to public;
    ${hardened ? 'alter default privileges revoke execute on functions from public;' : ''}`);
  const outside = (await db.sql`select nspname from pg_namespace`).map((r) => r.nspname as string);
  return { db, outside };
}

describe.each([
  { hardened: true, upgraded: false },
  { hardened: false, upgraded: false },
  { hardened: true, upgraded: true },
  { hardened: false, upgraded: true },
])('default privileges (hardened: $hardened, upgraded: $upgraded)', ({ hardened, upgraded }) => {
  it('are left as found by up, down and up again', async () => {
    const { db, outside } = await database(hardened);
    if (upgraded) await migrateUp({ databaseUrl: db.url, count: 7 }); // a release from before 0008
    const found = await defaults(db, outside);
    expect(found.some((d) => d.schema === '(global)')).toBe(hardened);
    await migrateUp({ databaseUrl: db.url });
    expect(await defaults(db, outside)).toEqual(found);
    await migrateDown({ databaseUrl: db.url, count: allButBaseline });
    expect(await defaults(db, outside)).toEqual(found);
    await migrateUp({ databaseUrl: db.url });
    expect(await defaults(db, outside)).toEqual(found);
    // and the package's functions are still closed to PUBLIC, whatever the default
    const [open] = await db.sql`
      select count(*)::int n from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname in ('public', 'credits_private', 'monitoring', 'monitoring_private')
         and p.proowner = (select oid from pg_roles where rolname = current_user)
         and has_function_privilege('public', p.oid, 'execute')
         and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')`;
    expect(open!.n).toBe(0);
  });
});
