// npm run bench:history — the reads that must not slow down as history grows (issue 30, item 4):
// an account's history pages, statements and past balances, the daily proof, and the admin
// dashboard's documents, each at two histories with the same users and daily volume (by default
// about 1M and 50M ledger rows), so the ratio says whether a read follows the day's volume and the
// account's recent rows or the ledger's size. Each history is a database of its own
// (tools/seeds/scale.ts, kept for the next run; --reload rebuilds it), closed through today by
// close_ledger (the first closing proves the whole history and writes the month checkpoints) and
// its rollups refreshed, as the scheduled jobs leave a live database. The shorter history spans
// more than the dashboard's 30 days, so that both read the same days and only the history differs.
// With DATABASE_URL it works on that server, else on an embedded PostgreSQL.
//   npm run bench:history -- --users 100000 --per-day 30000 --days 35,1250 --runs 5
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { formatTable } from '../src/cli/format.js';
import { migrateUp } from '../src/migrate/index.js';
import { loadScaleHistory } from './seeds/scale.js';
import { workServer, type WorkServer } from './server.js';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '100000' },
    'per-day': { type: 'string', default: '30000' }, // generations a day
    days: { type: 'string', default: '35,1250' }, // the two histories, in days: 2.3M and about 50M ledger rows
    accounts: { type: 'string', default: '200' }, // accounts each per-account read is averaged over
    runs: { type: 'string', default: '5' },
    reload: { type: 'boolean', default: false },
  },
});
const users = Number(values.users);
const perDay = Number(values['per-day']);
const sizes = values.days.split(',').map(Number);
const sampled = Number(values.accounts);
const runs = Number(values.runs);
const MAX_RATIO = 1.5;
const PROOF_RATIO = 2;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The reads: per account (averaged over the sampled accounts) or once. */
const reads: { name: string; perAccount?: string; once?: string; ratio?: number }[] = [
  { name: 'credit_history, first page (50 rows)', perAccount: 'select count(*) from credit_history($1)' },
  {
    name: 'credit_history, second page',
    perAccount: `select count(*) from credit_history($1, (select h.id from credit_history($1) h order by h.created_at, h.id limit 1))`,
  },
  { name: 'credit_statement, this month', perAccount: 'select * from credit_statement($1)' },
  {
    name: 'credit_statement, last month',
    perAccount: `select * from credit_statement($1, (date_trunc('month', now() at time zone 'UTC') - interval '1 month')::date)`,
  },
  // instants both histories hold (the shorter one starts 10 days back)
  { name: 'credit_balance_at, 5 days ago', perAccount: `select * from credit_balance_at($1, now() - interval '5 days')` },
  { name: 'credit_balance_at, now', perAccount: 'select * from credit_balance_at($1, now())' },
  { name: 'verify_open_period() (the daily proof)', once: 'select * from verify_open_period()', ratio: PROOF_RATIO },
  { name: 'admin_credit_stats() (live, 30 days)', once: 'select admin_credit_stats()' },
  { name: 'admin_credit_stats() (live, 7 days)', once: `select admin_credit_stats(now() - interval '7 days', now())` },
  {
    name: 'page: 30 days (as of refresh)',
    once: 'select admin_credit_stats(current_date - 29, current_date + 1, true)',
  },
];

interface History {
  sql: postgres.Sql;
  days: number;
  ledger: number;
  accounts: string[];
}

async function prepare(server: WorkServer, days: number): Promise<History> {
  const name = `credits_bench_history_${users}_${perDay}_${days}`;
  const { url, created } = await server.ensureDatabase(name, values.reload);
  const sql = postgres(url, { max: 2, onnotice: () => {} });
  await migrateUp({ databaseUrl: url });
  if (created) {
    const started = performance.now();
    console.log(`${name}: loading ${users} users, ${perDay * days} generations over ${days} days…`);
    await loadScaleHistory(sql, {
      users,
      tasks: perDay * days,
      days,
      onProgress: (step, done, total) =>
        process.stderr.write(`  ${step}: ${done}/${total} (${((performance.now() - started) / 1000).toFixed(0)} s)\n`),
    });
    const loaded = (performance.now() - started) / 1000;
    let at = performance.now();
    await sql`vacuum analyze`;
    const vacuum = (performance.now() - at) / 1000;
    at = performance.now();
    await sql`select * from close_ledger()`;
    const close = (performance.now() - at) / 1000;
    at = performance.now();
    await sql`select * from monitoring.refresh_rollups(true)`;
    const refresh = (performance.now() - at) / 1000;
    console.log(
      `  loaded in ${loaded.toFixed(0)} s; vacuum analyze ${vacuum.toFixed(0)} s; the first close_ledger() ${close.toFixed(0)} s; a full refresh_rollups ${refresh.toFixed(0)} s`,
    );
  }
  // What changed since, as the scheduled jobs would have it: swept (which moves the low-water
  // mark of tasks in flight that the health banner counts from), closed through today, refreshed,
  // the rollups' statistics fresh.
  await sql`select count(*) from expire_stale_generations('30 minutes', 100000)`;
  await sql`select * from close_ledger()`;
  await sql`select * from monitoring.refresh_rollups()`;
  await sql`analyze monitoring.user_rollup_window, monitoring.user_rollup_daily, monitoring.task_rollup_hourly`;
  const [size] = await sql`
    select (select count(*) from credit_transactions)::bigint as ledger, (select count(*) from enhancement_tasks)::bigint as tasks,
           pg_size_pretty(pg_database_size(current_database())) as size`;
  console.log(`${name}: ${size!.ledger} ledger rows, ${size!.tasks} tasks, ${size!.size}`);
  const accounts = (await sql`select user_id from user_credits order by user_id limit ${sampled}`).map((r) => r.user_id as string);
  return { sql, days, ledger: Number(size!.ledger), accounts };
}

async function measure(db: History) {
  const out: number[] = [];
  for (const read of reads) {
    const times: number[] = [];
    for (let run = 0; run < runs + 1; run++) {
      const started = performance.now();
      if (read.perAccount) for (const account of db.accounts) await db.sql.unsafe(read.perAccount, [account]);
      else await db.sql.unsafe(read.once!);
      const ms = (performance.now() - started) / (read.perAccount ? db.accounts.length : 1);
      if (run > 0) times.push(ms); // the first run warms the cache
    }
    out.push(median(times));
  }
  return out;
}

async function main() {
  const server = await workServer();
  const dbs: History[] = [];
  try {
    for (const days of sizes) dbs.push(await prepare(server, days));
    const [small, large] = [await measure(dbs[0]!), await measure(dbs[1]!)];
    const label = (db: History) => `${(db.ledger / 1e6).toFixed(1)}M rows, ms`;
    console.log(`\n${server.label}; per-account reads averaged over ${sampled} accounts, median of ${runs} runs after a warm-up\n`);
    console.log(
      formatTable(
        reads.map((read, i) => {
          const ratio = large[i]! / small[i]!;
          const bound = read.ratio ?? MAX_RATIO;
          return {
            read: read.name,
            [label(dbs[0]!)]: small[i]!.toFixed(2),
            [label(dbs[1]!)]: large[i]!.toFixed(2),
            ratio: ratio.toFixed(2),
            goal: `≤ ${bound}×: ${ratio <= bound ? 'yes' : 'NO'}`,
          };
        }),
      ),
    );
  } finally {
    for (const db of dbs) await db.sql.end();
    await server.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
