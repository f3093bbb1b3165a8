// npm run bench:proof — what the proof of the ledger costs as history grows (issue 30): the full
// proof (verify_ledger) against the daily one (verify_open_period, from the last closing), each
// at two sizes of history with the same daily volume, so the ratio says whether the daily proof
// follows the day's volume or the ledger's size. Each size is a scratch database holding
// tools/seeds/scale.ts' history (rows written set-based, every invariant holding), closed
// through today by close_ledger (timed too), then each proof run --runs times (the median).
// With DATABASE_URL it works on that server, else on an embedded PostgreSQL.
//   npm run bench:proof -- --per-day 5000 --days 10,100 --users 20000
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { migrateUp } from '../src/migrate/index.js';
import { loadScaleHistory } from './seeds/scale.js';
import { workServer } from './server.js';

const { values } = parseArgs({
  options: {
    'per-day': { type: 'string', default: '5000' }, // generations a day
    days: { type: 'string', default: '10,100' }, // the two histories, in days
    users: { type: 'string', default: '20000' },
    runs: { type: 'string', default: '3' },
    keep: { type: 'boolean', default: false }, // leave the databases for EXPLAIN
  },
});
const perDay = Number(values['per-day']);
const sizes = values.days.split(',').map(Number);
const users = Number(values.users);
const runs = Number(values.runs);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timed(sql: postgres.Sql, query: string): Promise<{ ms: number; rows: number }> {
  const start = performance.now();
  const rows = await sql.unsafe(query);
  return { ms: performance.now() - start, rows: rows.length };
}

async function measure(server: Awaited<ReturnType<typeof workServer>>, days: number) {
  const name = `credits_bench_proof_${days}`;
  const { url } = await server.ensureDatabase(name, true);
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await migrateUp({ databaseUrl: url });
    const loadStart = performance.now();
    await loadScaleHistory(sql, { users, tasks: perDay * days, days });
    await sql`vacuum analyze`; // as autovacuum leaves a live table: its BRIN ranges summarised
    const loadSeconds = (performance.now() - loadStart) / 1000;
    const [counts] = await sql`select (select count(*) from credit_transactions)::int as ledger,
                                      (select count(*) from credit_transactions
                                        where created_at >= date_trunc('day', now() at time zone 'UTC') at time zone 'UTC')::int as today`;
    const close = await timed(sql, 'select * from close_ledger()');
    const full: number[] = [];
    const open: number[] = [];
    for (let i = 0; i < runs; i++) {
      const f = await timed(sql, 'select * from verify_ledger()');
      const o = await timed(sql, 'select * from verify_open_period()');
      if (f.rows || o.rows) throw new Error(`${name}: the proof found ${f.rows} / ${o.rows} violations`);
      full.push(f.ms);
      open.push(o.ms);
    }
    return { days, ledger: counts!.ledger, today: counts!.today, loadSeconds, close: close.ms, full: median(full), open: median(open) };
  } finally {
    await sql.end();
    if (!values.keep) await server.dropDatabase(name);
  }
}

const server = await workServer();
try {
  console.log(`${server.label}; ${perDay} generations a day, ${users} accounts; median of ${runs} runs`);
  const results = [];
  for (const days of sizes) {
    const r = await measure(server, days);
    results.push(r);
    console.log(
      `  ${days} days: ${r.ledger.toLocaleString('en-US')} ledger rows (${r.today.toLocaleString('en-US')} today), loaded in ${r.loadSeconds.toFixed(0)} s; ` +
        `close_ledger ${r.close.toFixed(0)} ms; verify_ledger ${r.full.toFixed(0)} ms; verify_open_period ${r.open.toFixed(0)} ms`,
    );
  }
  const [small, large] = [results[0]!, results.at(-1)!];
  console.log(
    `history ${(large.ledger / small.ledger).toFixed(1)}× larger: verify_ledger ${(large.full / small.full).toFixed(2)}×, ` +
      `verify_open_period ${(large.open / small.open).toFixed(2)}× (goal: within 2×)`,
  );
} finally {
  await server.stop();
}
