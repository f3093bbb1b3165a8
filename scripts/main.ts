// The main job: migrate, load the demo seeds, simulate a day of generations (some fail, some
// get stuck and are swept), and print balances, refunds, spend and the ledger's verdict.
// With DATABASE_URL it works there; without, on an embedded PostgreSQL it starts and removes.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import postgres from 'postgres';
import { startEmbeddedPostgres, type EmbeddedServer } from '../src/embedded.js';
import { migrateUp } from '../src/migrate/index.js';
import { packageRoot } from '../src/paths.js';

const DEMO_USERS = 12;
const GENERATIONS = 240;

/** Deterministic demo ids, so that a second run on the same database finds the same accounts. */
const demoId = (label: string) => {
  const h = createHash('md5').update(`credits-demo:${label}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};

/** A small deterministic random source (the day is the same on every run). */
function random(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
}

const models = [
  { provider: 'wavespeed', model: 'nano-banana', task: 'enhance', credits: 2 },
  { provider: 'wavespeed', model: 'nano-banana-pro', task: 'upscale', credits: 5 },
  { provider: 'wavespeed', model: 'seedream-v4', task: 'remove-background', credits: 1 },
  { provider: 'nanobanana', model: 'nano-banana', task: 'enhance', credits: 2 },
];

async function simulateDay(sql: postgres.Sql, users: string[]) {
  const rnd = random(42);
  const tally = { started: 0, refused: 0, completed: 0, failed: 0, stuck: 0, duplicates: 0 };
  const stuck: string[] = [];
  for (let i = 0; i < GENERATIONS; i++) {
    const user = users[Math.floor(rnd() * users.length)]!;
    const m = models[Math.floor(rnd() * models.length)]!;
    let task: string;
    try {
      const [row] = await sql`select task_id from start_generation(${user}, ${m.task}, ${m.provider}, ${m.model}, ${m.credits}, ${`demo-${i}`})`;
      task = row!.task_id;
      tally.started++;
    } catch (error) {
      if ((error as { code?: string }).code !== 'CR001') throw error;
      tally.refused++; // insufficient credits: nothing was charged
      continue;
    }
    const roll = rnd();
    if (roll < 0.03) {
      await sql`select fail_generation(${task}, 'provider rejected the request: 400 invalid image', 'api_error')`;
      tally.failed++;
      continue;
    }
    await sql`select mark_generation_submitted(${task}, ${`ws-${i}`})`;
    if (roll < 0.08) {
      stuck.push(task); // the provider never calls back
      tally.stuck++;
    } else if (roll < 0.16) {
      await sql`select fail_generation(${task}, 'generation failed: content filter', 'callback')`;
      await sql`select fail_generation(${task}, 'generation failed: content filter', 'callback')`; // webhook retried
      tally.failed++;
      tally.duplicates++;
    } else {
      await sql`select complete_generation(${task}, null, ${`https://cdn.example/${task}.png`})`;
      tally.completed++;
    }
  }
  // An hour passes for the stuck tasks; the sweeper runs twice at once, as two schedulers would.
  await sql`update enhancement_tasks set updated_at = now() - interval '1 hour' where id = any(${stuck})`;
  const sweeps = await Promise.all([
    sql`select * from expire_stale_generations('30 minutes')`,
    sql`select * from expire_stale_generations('30 minutes')`,
  ]);
  return { tally, swept: sweeps.flat() };
}

async function main() {
  let embedded: EmbeddedServer | undefined;
  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    console.log('No DATABASE_URL: starting an embedded PostgreSQL…');
    embedded = await startEmbeddedPostgres();
    const admin = postgres(embedded.url, { max: 1, onnotice: () => {} });
    await admin`create database credits_demo`;
    await admin.end();
    databaseUrl = embedded.url.replace(/\/postgres$/, '/credits_demo');
    console.log(`  PostgreSQL ${embedded.version}, data removed on exit`);
  }
  const sql = postgres(databaseUrl, { max: 4, onnotice: () => {} });
  try {
    console.log('\n== Migrate');
    const result = await migrateUp({ databaseUrl, log: (l) => console.log(`  ${l}`) });
    console.log(`  ${result.migrations.length} migrations, ${result.definitions?.changed.length ?? 0} functions and views applied`);

    console.log('\n== Seed');
    await sql.unsafe(await readFile(path.join(packageRoot, 'seeds/demo.sql'), 'utf8'));
    const tiers = ['free', 'basic', 'pro'];
    const users = Array.from({ length: DEMO_USERS }, (_, i) => demoId(`user-${i}`));
    for (const [i, user] of users.entries()) {
      await sql`select ensure_credit_account(${user}, ${tiers[i % 3]!})`;
      if (i % 4 === 0) await sql`select grant_credits(${user}, 25, 'credit pack', ${`demo-pack-${i}`})`;
    }
    console.log(`  ${DEMO_USERS} accounts (free, basic, pro), a credit pack for every fourth, provider prices`);

    console.log(`\n== A day of ${GENERATIONS} generations`);
    const { tally, swept } = await simulateDay(sql, users);
    console.log(`  started ${tally.started}, refused for lack of credits ${tally.refused}`);
    console.log(`  completed ${tally.completed}, failed ${tally.failed} (${tally.duplicates} webhooks delivered twice), stuck ${tally.stuck}`);
    console.log(`  sweeper (two at once) failed and refunded ${swept.length} stuck tasks, ${swept.reduce((n, r) => n + r.refunded_credits, 0)} credits`);

    console.log('\n== Balances');
    const balances = await sql`
      select u.user_id, b.tier, b.total_credits total, b.monthly_credits monthly, b.purchased_credits purchased,
             b.used_this_month used,
             (select count(*)::int from credit_transactions c where c.user_id = u.user_id and c.type = 'refund') refunds
        from unnest(${users}::uuid[]) u(user_id), get_credit_balance(u.user_id) b order by b.tier, u.user_id`;
    console.table(balances.map(({ user_id, ...b }) => ({ user: String(user_id).slice(0, 8), ...b })));

    console.log('== Refunds and spend');
    const [money] = await sql`
      select count(*) filter (where t.status = 'failed')::int failed,
             count(*) filter (where t.status = 'failed' and exists (select 1 from credit_transactions c where c.task_id = t.id and c.type = 'refund'))::int refunded,
             coalesce(sum(c.amount) filter (where c.type = 'refund'), 0)::int credits_refunded,
             coalesce(sum(t.provider_cost_usd), 0)::numeric(10,4)::text provider_cost_usd
        from enhancement_tasks t
        left join credit_transactions c on c.task_id = t.id and c.type = 'refund'
       where t.user_id = any(${users})`;
    console.log(`  failed tasks ${money!.failed}, refunded ${money!.refunded}, credits refunded ${money!.credits_refunded}`);
    console.log(`  provider spend (from passed costs and the price table) $${money!.provider_cost_usd}`);

    console.log('\n== verify_ledger()');
    const violations = await sql`select * from verify_ledger()`;
    if (violations.length === 0) console.log('  sound: no invariant is violated');
    else console.table(violations);
    process.exitCode = violations.length === 0 ? 0 : 1;
  } finally {
    await sql.end();
    await embedded?.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
