// npm run bench:allocation [-- --accounts 1000000 --clients 4 --baseline 5]
// The monthly allocation at scale (issue 10, item 14): a database of its own with --accounts
// accounts still in last month, then charges from --clients connections on random accounts,
// first for --baseline seconds alone, then while allocate_monthly_credits_in_batches() drains the month.
// Prints the charges' throughput in both phases, the longest a charge waited, and the
// allocation's total time; checks that every account is in the month once and the ledger is
// sound. Uses DATABASE_URL's server, or an embedded one (tools/server.ts).
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { migrateUp } from '../src/migrate/index.js';
import { workServer } from './server.js';

const { values } = parseArgs({
  options: {
    accounts: { type: 'string', default: '1000000' },
    clients: { type: 'string', default: '4' },
    baseline: { type: 'string', default: '5' },
  },
});
const ACCOUNTS = Number(values.accounts);
const CLIENTS = Number(values.clients);
const BASELINE_SECONDS = Number(values.baseline);

/** Accounts on 'free' (10 a month) in last month, each with 3 monthly and 100 purchased credits, ledger included. */
async function loadAccounts(sql: postgres.Sql) {
  await sql`
    insert into user_credits (user_id, tier, credits, monthly_credits, purchased_credits, monthly_allowance, credits_used_this_month, period_start)
    select md5('alloc-' || i)::uuid, 'free', 103, 3, 100, 10, 7, (date_trunc('month', now() at time zone 'UTC') - interval '1 month')::date
      from generate_series(1, ${ACCOUNTS}) i`;
  await sql`
    insert into credit_transactions (user_id, amount, monthly_amount, type, description, balance_after, period_start, idempotency_key)
    select md5('alloc-' || i)::uuid, 100, 0, 'purchase', 'bench', 100, null, 'bench-' || i from generate_series(1, ${ACCOUNTS}) i
    union all
    select md5('alloc-' || i)::uuid, 3, 3, 'adjustment', 'bench: monthly credits left', 103,
           (date_trunc('month', now() at time zone 'UTC') - interval '1 month')::date, null
      from generate_series(1, ${ACCOUNTS}) i`;
  await sql`vacuum analyze user_credits, credit_transactions`;
}

interface Charges {
  calls: number;
  seconds: number;
  longestMs: number;
}

/** Charges 1 credit on random accounts from CLIENTS connections until `until` resolves. */
async function charge(sql: postgres.Sql, until: Promise<unknown>): Promise<Charges> {
  let running = true;
  void until.then(
    () => (running = false),
    () => (running = false),
  );
  const started = performance.now();
  const result: Charges = { calls: 0, seconds: 0, longestMs: 0 };
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (running) {
        const user = `alloc-${1 + Math.floor(Math.random() * ACCOUNTS)}`;
        const t0 = performance.now();
        await sql`select balance from start_generation(md5(${user})::uuid, 'enhance', 'wavespeed', 'm', 1)`;
        result.longestMs = Math.max(result.longestMs, performance.now() - t0);
        result.calls++;
      }
    }),
  );
  result.seconds = (performance.now() - started) / 1000;
  return result;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  const server = await workServer();
  const database = 'credits_bench_allocation';
  const { url } = await server.ensureDatabase(database, true);
  const sql = postgres(url, { max: CLIENTS + 1, onnotice: () => {} });
  try {
    console.log(server.label);
    await migrateUp({ databaseUrl: url });
    const t0 = performance.now();
    await loadAccounts(sql);
    console.log(`${ACCOUNTS} accounts in last month loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const baseline = await charge(sql, sleep(BASELINE_SECONDS * 1000));
    let allocationSeconds = 0;
    const allocation = (async () => {
      const a0 = performance.now();
      await sql.reserve().then(async (conn) => {
        try {
          await conn.unsafe(`call allocate_monthly_credits_in_batches(null, '1 hour')`);
        } finally {
          conn.release();
        }
      });
      allocationSeconds = (performance.now() - a0) / 1000;
    })();
    const during = await charge(sql, allocation);
    await allocation;

    const [check] = await sql`
      select (select count(*)::int from user_credits where period_start is distinct from date_trunc('month', now() at time zone 'UTC')::date) behind,
             (select count(*)::int from (select user_id from credit_transactions
                                           where type = 'allocation' and period_start = date_trunc('month', now() at time zone 'UTC')::date
                                           group by user_id having count(*) > 1) d) twice,
             (select count(*)::int from verify_ledger()) violations`;
    const rate = (c: Charges) => (c.calls / c.seconds).toFixed(0);
    console.log(
      `charges alone (${CLIENTS} clients, ${baseline.seconds.toFixed(1)} s): ${rate(baseline)}/s, longest ${baseline.longestMs.toFixed(0)} ms`,
    );
    console.log(
      `charges during the allocation (${during.seconds.toFixed(1)} s): ${rate(during)}/s, longest ${during.longestMs.toFixed(0)} ms`,
    );
    console.log(
      `allocation of ${ACCOUNTS} accounts (allocate_monthly_credits_in_batches, batches of 1,000): ${allocationSeconds.toFixed(1)} s`,
    );
    console.log(`accounts not in the month: ${check!.behind}; allocated twice: ${check!.twice}; ledger violations: ${check!.violations}`);
  } finally {
    await sql.end();
    await server.dropDatabase(database);
    await server.stop();
  }
}

await main();
