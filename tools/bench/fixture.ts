// The benchmarks' database contents, shared by `npm run bench` and `npm run bench:instructions`
// (which runs this file: tsx tools/bench/fixture.ts <accounts>, with DATABASE_URL set):
// accounts 'bench-1'…'bench-N' with purchased credits enough for any run, granted through the
// functions' own path; the ceiling's table of 10,000 rows; and that table's UPDATE inside a
// function made like the package's (PL/pgSQL, SECURITY DEFINER, pinned search_path), which is
// what any RPC call pays before doing its own work.
// The pgbench scripts in tools/bench/pgbench/ pick accounts with `-D users=N`.
import { fileURLToPath, pathToFileURL } from 'node:url';
import postgres from 'postgres';

/** Folder of the pgbench scripts (lifecycle, failure, start, ceiling, one-update-rpc). */
export const pgbenchScripts = fileURLToPath(new URL('./pgbench/', import.meta.url));

export async function loadBenchFixture(sql: postgres.Sql, users: number): Promise<void> {
  await sql`insert into user_credits (user_id, credits, purchased_credits, period_start)
            select md5('bench-' || i)::uuid, 0, 0, date_trunc('month', now() at time zone 'UTC')::date from generate_series(1, ${users}) i`;
  await sql`select grant_credits(md5('bench-' || i)::uuid, 100000000, 'bench', 'bench-' || i) from generate_series(1, ${users}) i`;
  await sql`create table bench_ceiling (id integer primary key, n bigint not null default 0)`;
  await sql`insert into bench_ceiling (id) select generate_series(1, 10000)`;
  await sql`create function bench_rpc_update(p_id integer) returns void language plpgsql security definer
            set search_path to pg_catalog, pg_temp as $$ begin update public.bench_ceiling set n = n + 1 where id = p_id; end $$`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const sql = postgres(process.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
  await loadBenchFixture(sql, Number(process.argv[2] ?? 10000));
  await sql.end();
}
