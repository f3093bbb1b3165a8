// npm run bench [-- --seconds 5 --users 2000]
// Generation lifecycles per second through the RPC functions, and in the same run on the same
// server the yardsticks, each driven by pgbench like the lifecycles it is compared with:
// pgledger (a general ledger, tools/bench/anchors.ts) with uniform transfers and user → one
// platform account; the straightforward lifecycle without the contract's guarantees; one hot
// account against uniform accounts (8 clients; p50/p99 at 32); the commit ceiling (one
// single-row UPDATE per transaction), that UPDATE inside a function made like the package's,
// pgbench's built-in simple-update. From TypeScript: the lifecycles at 1, 8 and 32 clients
// against a naive application-side lifecycle (separate statements, as the seed app did). Ends
// with the ratios the hot path is held to and storage per lifecycle after VACUUM.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { parseArgs, promisify } from 'node:util';
import postgres from 'postgres';
import { formatTable } from '../src/cli/format.js';
import * as client from '../src/generated/client.js';
import { baselineMigration, migrateUp, migrationUpSection } from '../src/migrate/index.js';
import { loadPgledger, readPgledger, sha256, straightforwardFile, straightforwardSha256 } from './bench/anchors.js';
import { loadBenchFixture } from './bench/fixture.js';
import { pgbench, pgbenchRun, type Run, scriptArgs } from './bench/pgbench.js';
import { workServer, type WorkServer } from './server.js';

const run = promisify(execFile);
const { values } = parseArgs({ options: { seconds: { type: 'string', default: '5' }, users: { type: 'string', default: '2000' } } });
const SECONDS = Number(values.seconds);
const USERS = Number(values.users);
const CLIENTS = [1, 8, 32];

type Sql = postgres.Sql;
interface Result {
  lifecycles: number;
  calls: number;
  latencies: number[];
}

/** `clients` loops, each on its own connection, repeating `lifecycle` until the time is up. */
async function measure(
  url: string,
  clients: number,
  lifecycle: (sql: Sql, worker: number, timed: <T>(call: () => Promise<T>) => Promise<T>) => Promise<void>,
): Promise<Result> {
  const sql = postgres(url, { max: clients, onnotice: () => {} });
  await Promise.all(Array.from({ length: clients }, () => sql`select 1`)); // connections open before the clock starts
  const result: Result = { lifecycles: 0, calls: 0, latencies: [] };
  const timed = async <T>(call: () => Promise<T>) => {
    const started = performance.now();
    const value = await call();
    result.latencies.push(performance.now() - started);
    result.calls++;
    return value;
  };
  const deadline = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, worker) => {
      while (performance.now() < deadline) {
        await lifecycle(sql, worker, timed);
        result.lifecycles++;
      }
    }),
  );
  await sql.end();
  return result;
}

const percentile = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
};

/** pgbench's arguments for a script at `clients` for SECONDS over `users` accounts. */
const timed = (name: string, clients: number, users = USERS) => scriptArgs(name, { clients, users, seconds: SECONDS });
/** The same for `transactions` per client: a warm-up or a burst. */
const counted = (name: string, transactions: number) => scriptArgs(name, { clients: 8, users: USERS, transactions });

async function main() {
  const server = await workServer();
  const { url } = await server.ensureDatabase('credits_bench_lifecycle', true);
  const sql = postgres(url, { max: 2, onnotice: () => {} });
  try {
    const [{ synchronous_commit }] = (await sql`show synchronous_commit`) as unknown as [{ synchronous_commit: string }];
    console.log(
      `${server.label}; ${SECONDS} s per measurement; ${USERS} accounts; pgbench with 8 clients (-j 2) for the ratios, 32 for p99, prepared statements; synchronous_commit = ${synchronous_commit}; pgledger_create_transfer once per transaction`,
    );
    await migrateUp({ databaseUrl: url });
    await loadBenchFixture(sql, USERS);
    const users = (await sql`select md5('bench-' || i)::uuid::text as id from generate_series(1, ${USERS}) i`).map((r) => r.id as string);
    const hotUser = users[0]!;
    await sql`vacuum analyze`;

    // Storage per lifecycle: a first burst into empty task and ledger tables, then a second one
    // after VACUUM, which reuses the space of the first burst's dead row versions (steady state).
    const burst = 4000;
    const storage: number[] = [];
    let size = await tableBytes(sql);
    for (let phase = 0; phase < 2; phase++) {
      await run('pgbench', [...counted('lifecycle', burst / 8), url]);
      await sql`vacuum analyze enhancement_tasks, credit_transactions`;
      const next = await tableBytes(sql);
      storage.push((next - size) / burst);
      size = next;
    }

    let picks = 0;
    const pick = (worker: number) => users[(worker * 7919 + picks++ * 104729) % users.length]!;
    const rpcSuccess = (hot: boolean) => async (s: Sql, worker: number, timed: <T>(c: () => Promise<T>) => Promise<T>) => {
      const userId = hot ? hotUser : pick(worker);
      const t = await timed(() =>
        client.startGeneration(s, { userId, taskType: 'enhance', provider: 'wavespeed', model: 'nano-banana', credits: 2 }),
      );
      await timed(() => client.markGenerationSubmitted(s, { taskId: t.task_id!, externalTaskId: t.task_id! }));
      await timed(() => client.completeGeneration(s, { taskId: t.task_id!, providerCostUsd: '0.039' }));
    };
    const rpcFailure = async (s: Sql, worker: number, timed: <T>(c: () => Promise<T>) => Promise<T>) => {
      const t = await timed(() =>
        client.startGeneration(s, { userId: pick(worker), taskType: 'enhance', provider: 'wavespeed', model: 'nano-banana', credits: 2 }),
      );
      await timed(() => client.failGeneration(s, { taskId: t.task_id!, errorMessage: 'provider error', source: 'api_error' }));
    };
    // The seed application's way: separate statements from TypeScript, each its own transaction
    // (read the balance, then charge, create the task, write the ledger; then two updates).
    const naiveSuccess = async (s: Sql, worker: number, timed: <T>(c: () => Promise<T>) => Promise<T>) => {
      const userId = pick(worker);
      const [account] = await timed(() => s`select credits from user_credits where user_id = ${userId}`);
      if (!account || account.credits < 2) throw new Error('insufficient credits');
      await timed(
        () => s`update user_credits set credits = credits - 2, purchased_credits = purchased_credits - 2,
                          credits_used_this_month = credits_used_this_month + 2, updated_at = now() where user_id = ${userId}`,
      );
      const [task] = await timed(
        () => s`insert into enhancement_tasks (user_id, task_type, provider, model, credits_used)
                                         values (${userId}, 'enhance', 'wavespeed', 'nano-banana', 2) returning id`,
      );
      await timed(
        () => s`insert into credit_transactions (user_id, amount, type, task_id, provider, balance_after)
                          values (${userId}, -2, 'usage', ${task!.id}, 'wavespeed', ${account.credits - 2})`,
      );
      await timed(
        () =>
          s`update enhancement_tasks set status = 'processing', external_task_id = ${task!.id}, submitted_at = now(), updated_at = now() where id = ${task!.id}`,
      );
      await timed(
        () =>
          s`update enhancement_tasks set status = 'completed', provider_cost_usd = 0.039, completed_at = now(), updated_at = now() where id = ${task!.id}`,
      );
    };

    const rows: Record<string, unknown>[] = [];
    const results: Record<string, Result> = {};
    const record = (name: string, clients: number, r: Result) => {
      results[`${name}@${clients}`] = r;
      rows.push({
        workload: name,
        clients,
        'lifecycles/s': (r.lifecycles / SECONDS).toFixed(0),
        'calls/s': (r.calls / SECONDS).toFixed(0),
        'p50 ms': percentile(r.latencies, 0.5).toFixed(2),
        'p99 ms': percentile(r.latencies, 0.99).toFixed(2),
      });
    };
    for (const clients of CLIENTS) {
      record('rpc: start → submitted → completed', clients, await measure(url, clients, rpcSuccess(false)));
      record('rpc: start → failed (refund)', clients, await measure(url, clients, rpcFailure));
      record('naive app: start → submitted → completed', clients, await measure(url, clients, naiveSuccess));
      if (clients > 1) record('rpc, one hot user: start → submitted → completed', clients, await measure(url, clients, rpcSuccess(true)));
    }
    console.log(`\n${formatTable(rows)}`);

    // Driven by pgbench from here on, the yardsticks' own client: what the database does.
    const lifecycle8 = await pgbench(url, timed('lifecycle', 8));
    const startComplete8 = await pgbench(url, timed('start-complete', 8));
    const hot8 = await pgbench(url, timed('start-complete', 8, 1));
    const uniform32 = await pgbenchRun(url, timed('start-complete', 32), { latencies: true });
    const hot32 = await pgbenchRun(url, timed('start-complete', 32, 1), { latencies: true });
    // The same hot account with limits on (contract §12: every charge counted against them, far from
    // reaching them), then a team's account its 8 members spend, each charge also counting the
    // member's spend (contract §12: what every member's charge of one team locks).
    await sql`select set_credit_limits(md5('bench-1')::uuid, 1000000, 100000000)`;
    const hot8Limited = await pgbench(url, timed('start-complete', 8, 1));
    await sql`select set_credit_limits(md5('bench-1')::uuid, null, null)`;
    await sql`select ensure_team_account(md5('bench-team')::uuid, 'pro')`;
    await sql`select grant_credits(md5('bench-team')::uuid, 100000000, 'bench', 'bench-team-pack')`;
    await sql`select add_team_member(md5('bench-team')::uuid, md5('bench-member-' || i)::uuid, 100000000) from generate_series(1, 8) i`;
    const team8 = await pgbench(url, timed('team-start-complete', 8, 8));
    // What bounds one account: its row stays locked until the charge's commit is on disk.
    const hot8Async = await pgbench(url, timed('start-complete', 8, 1), { env: { PGOPTIONS: '-c synchronous_commit=off' } });
    const straightforwardLifecycles = await straightforwardBaseline(server);
    const pgledger = await pgledgerBaseline(server);

    // Baselines from pgbench, on the same server and database.
    const ceiling: Record<number, number> = {};
    for (const clients of CLIENTS) ceiling[clients] = await pgbench(url, timed('ceiling', clients));
    const oneUpdateRpc = await pgbench(url, timed('one-update-rpc', 8));
    await run('pgbench', ['-i', '-q', '-s', '1', '--foreign-keys', url]);
    const simpleUpdate = await pgbench(url, ['-n', '-M', 'prepared', '-b', 'simple-update', '-c', '8', '-j', '2', '-T', String(SECONDS)]);
    console.log('\nbaselines (pgbench):');
    for (const clients of CLIENTS)
      console.log(`  single-row UPDATE per transaction, ${clients} clients: ${ceiling[clients]!.toFixed(0)} tps`);
    console.log(`  built-in simple-update, 8 clients: ${simpleUpdate.toFixed(0)} tps`);
    console.log(`  the ceiling's UPDATE inside a SECURITY DEFINER PL/pgSQL function, 8 clients: ${oneUpdateRpc.toFixed(0)} tps`);
    console.log(
      `  the RPC lifecycle start → submitted → completed, 8 clients: ${lifecycle8.toFixed(0)} lifecycles/s = ${(3 * lifecycle8).toFixed(0)} RPC calls/s`,
    );
    console.log(
      `  the same lifecycle written straightforwardly on the legacy schema, without the contract's guarantees (tools/bench/straightforward.sql), 8 clients: ${straightforwardLifecycles.toFixed(0)} lifecycles/s`,
    );
    console.log(`  start → complete, 8 clients: ${startComplete8.toFixed(0)} lifecycles/s; one hot account: ${hot8.toFixed(0)}/s`);
    console.log(
      `  the hot account with limits on (1,000,000 in flight, 100,000,000 credits a day): ${hot8Limited.toFixed(0)}/s (${(hot8Limited / hot8).toFixed(2)}× without); a team's account, 8 members with caps: ${team8.toFixed(0)}/s (${(team8 / hot8).toFixed(2)}× the hot account)`,
    );
    console.log(
      `  the same hot account with synchronous_commit = off (not a setting to use: what waiting for the disk under the row lock costs): ${hot8Async.toFixed(0)}/s`,
    );
    const latency = (r: Run) => `p50 ${percentile(r.latencies, 0.5).toFixed(1)} ms, p99 ${percentile(r.latencies, 0.99).toFixed(1)} ms`;
    console.log(
      `  start → complete, 32 clients: ${uniform32.tps.toFixed(0)}/s (${latency(uniform32)}); one hot account: ${hot32.tps.toFixed(0)}/s (${latency(hot32)})`,
    );
    if (pgledger.found)
      console.log(
        `  pgledger_create_transfer, one per transaction, 8 clients: ${pgledger.uniform.toFixed(0)} transfers/s between uniform accounts, ${pgledger.platform.toFixed(0)}/s from uniform accounts to one platform account (after a warm-up and ANALYZE; right after loading, before its tables were analysed: ${pgledger.cold.toFixed(0)} uniform transfers/s)`,
      );
    else console.log(`  pgledger: not measured, ${pgledger.reason}`);

    const at8 = results['rpc: start → submitted → completed@8']!;
    const naive8 = results['naive app: start → submitted → completed@8']!;
    const goal = (name: string, value: number, target: number, unit: '×' | 'ms' = '×', below = false) =>
      console.log(
        `  ${name}: ${unit === '×' ? `${value.toFixed(2)}×` : `${value.toFixed(1)} ms`} (target ${below ? '<' : '≥'} ${target}${unit === '×' ? '×' : ' ms'}: ${
          (below ? value < target : value >= target) ? 'met' : 'not met'
        })`,
      );
    console.log(`\nthe hot path's goals (issue 25), each from pgbench in this run:`);
    if (pgledger.found) {
      goal('start → complete lifecycles/s ÷ pgledger uniform transfers/s', startComplete8 / pgledger.uniform, 1.5);
      goal('start → complete lifecycles/s ÷ pgledger user → platform transfers/s', startComplete8 / pgledger.platform, 3);
    } else console.log(`  the ratios to pgledger: skipped, ${pgledger.reason}`);
    goal('the RPC lifecycle ÷ the straightforward lifecycle', lifecycle8 / straightforwardLifecycles, 0.85);
    goal('one hot account ÷ uniform accounts, start → complete, 8 clients', hot8 / startComplete8, 0.8);
    goal("a hot account's lifecycle p99 at 32 clients", percentile(hot32.latencies, 0.99), 100, 'ms', true);
    console.log('\nother ratios at 8 clients:');
    console.log(
      `  RPC calls/s ÷ single-row-UPDATE ceiling, both from pgbench: ${(((3 * lifecycle8) / ceiling[8]!) * 100).toFixed(0)} % (what the guarantees cost: docs/performance.md)`,
    );
    console.log(
      `  the straightforward lifecycle without the guarantees ÷ the same ceiling: ${(((3 * straightforwardLifecycles) / ceiling[8]!) * 100).toFixed(0)} %`,
    );
    console.log(`  RPC calls/s from TypeScript ÷ the same ceiling: ${((at8.calls / SECONDS / ceiling[8]!) * 100).toFixed(0)} %`);
    console.log(
      `  an RPC that does nothing but the ceiling's UPDATE ÷ the ceiling: ${((oneUpdateRpc / ceiling[8]!) * 100).toFixed(0)} % (the price of the function call itself)`,
    );
    console.log(`  lifecycles/s ÷ naive application, both from TypeScript: ${(at8.lifecycles / naive8.lifecycles).toFixed(2)}×`);

    const violations = await client.verifyLedger(sql);
    const [hot] =
      await sql`select credits, (select count(*) from enhancement_tasks where user_id = ${hotUser})::int tasks from user_credits where user_id = ${hotUser}`;
    console.log(
      `\nledger after the run: ${violations.length === 0 ? 'sound' : `${violations.length} violations`}; hot user ${hot!.tasks} generations, balance ${hot!.credits}`,
    );

    console.log(
      `storage per lifecycle (tables and indexes, after VACUUM; target ≤ 700 bytes in steady state): ${storage[0]!.toFixed(0)} bytes for a first burst into empty tables, ${storage[1]!.toFixed(0)} bytes in steady state (the next burst, reusing the space VACUUM freed)`,
    );
    await sql`vacuum analyze enhancement_tasks, credit_transactions`;
    console.log(`\nstorage per row after the whole run (VACUUM; what docs/scaling.md projects from):\n${await storageBreakdown(sql)}`);
  } finally {
    await sql.end();
    await server.stop();
  }
}

/**
 * The pgbench lifecycle against tools/bench/straightforward.sql on the legacy schema (0001),
 * in a database of its own with the same accounts, after a warm-up and ANALYZE (so that its
 * plans read by primary key).
 */
async function straightforwardBaseline(server: WorkServer): Promise<number> {
  const text = await readFile(straightforwardFile, 'utf8');
  if (sha256(text) !== straightforwardSha256)
    throw new Error(`${straightforwardFile} changed: the yardstick must run unchanged (tools/bench/anchors.ts)`);
  const name = 'credits_bench_straightforward';
  const { url } = await server.ensureDatabase(name, true);
  const plain = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await plain.unsafe(await migrationUpSection(baselineMigration));
    await plain.unsafe(text);
    await plain`insert into user_credits (user_id, credits) select md5('bench-' || i)::uuid, 100000000 from generate_series(1, ${USERS}) i`;
    await run('pgbench', [...counted('lifecycle', 500), url]);
    await plain`vacuum analyze`;
    return await pgbench(url, timed('lifecycle', 8));
  } finally {
    await plain.end();
    await server.dropDatabase(name);
  }
}

/**
 * pgledger's transfers in a database of their own (tools/bench/anchors.ts), between uniform
 * accounts and from them to one platform account, each after a warm-up and ANALYZE like the
 * straightforward lifecycle (right after loading it runs at a fraction of that pace, which
 * is printed too: its first plans are made for empty tables).
 */
async function pgledgerBaseline(
  server: WorkServer,
): Promise<{ found: false; reason: string } | { found: true; uniform: number; platform: number; cold: number }> {
  const pgledger = await readPgledger();
  if (!pgledger.found) return pgledger;
  const name = 'credits_bench_pgledger';
  const { url } = await server.ensureDatabase(name, true);
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await loadPgledger(sql, pgledger, USERS);
    // as loaded, before any ANALYZE of its transfer tables (how a first run sees it; not the yardstick)
    const cold = await pgbench(url, timed('pgledger-uniform', 8));
    await run('pgbench', [...counted('pgledger-uniform', 500), url]);
    await run('pgbench', [...counted('pgledger-platform', 500), url]);
    await sql`vacuum analyze`;
    const uniform = await pgbench(url, timed('pgledger-uniform', 8));
    const platform = await pgbench(url, timed('pgledger-platform', 8));
    return { found: true, uniform, platform, cold };
  } finally {
    await sql.end();
    await server.dropDatabase(name);
  }
}

/** Bytes per row of the task and ledger tables: heap (with TOAST) and each index. */
async function storageBreakdown(sql: Sql): Promise<string> {
  const lines: string[] = [];
  for (const table of ['enhancement_tasks', 'credit_transactions']) {
    const [{ rows, heap }] = (await sql.unsafe(`select count(*)::float8 as rows,
        (pg_table_size('${table}'))::float8 as heap from ${table}`)) as unknown as [{ rows: number; heap: number }];
    const indexes = await sql<{ name: string; bytes: number }[]>`
      select indexrelid::regclass::text as name, pg_relation_size(indexrelid)::float8 as bytes
        from pg_index where indrelid = ${table}::regclass order by 1`;
    const indexBytes = indexes.reduce((n, i) => n + i.bytes, 0);
    lines.push(
      `  ${table}: ${rows} rows; per row ${(heap / rows).toFixed(0)} B heap + ${(indexBytes / rows).toFixed(0)} B indexes = ${((heap + indexBytes) / rows).toFixed(0)} B`,
    );
    for (const i of indexes) lines.push(`    ${i.name}: ${(i.bytes / rows).toFixed(1)} B`);
  }
  return lines.join('\n');
}

/** Bytes of the task and ledger tables with their indexes (and TOAST). */
async function tableBytes(sql: Sql): Promise<number> {
  const [row] = await sql`select pg_total_relation_size('enhancement_tasks') + pg_total_relation_size('credit_transactions') as bytes`;
  return Number(row!.bytes);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
