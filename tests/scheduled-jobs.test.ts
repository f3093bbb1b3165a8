// Every job the guides tell an operator to schedule with pg_cron runs as written. pg_cron itself
// needs shared_preload_libraries and a server restart, which a shared test server cannot have,
// so each job's command is taken from the docs (every cron.schedule / cron.schedule_in_database
// call in docs/*.md) and run the way pg_cron runs it: alone, outside a transaction block, as a
// role with no privilege but its membership in credits_service (the guides' job role).
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../src/paths.js';
import { createTestDatabase, type TestDatabase } from './helpers/db.js';
import { newAccount, startGeneration } from './helpers/ledger.js';

interface Job {
  doc: string;
  name: string;
  command: string;
}

/** The jobs of every `cron.schedule('name', 'schedule', $$command$$…)` call in the docs. */
async function documentedJobs(): Promise<Job[]> {
  const docs = path.join(packageRoot, 'docs');
  const jobs: Job[] = [];
  for (const file of (await readdir(docs)).filter((f) => f.endsWith('.md')).sort()) {
    const text = await readFile(path.join(docs, file), 'utf8');
    for (const m of text.matchAll(/cron\.schedule(?:_in_database)?\(\s*'([^']+)'\s*,\s*'[^']+'\s*,\s*\$\$([\s\S]*?)\$\$/g)) {
      jobs.push({ doc: file, name: m[1]!, command: m[2]!.trim() });
    }
  }
  return jobs;
}

let db: TestDatabase;
let jobs: Job[];

beforeAll(async () => {
  db = await createTestDatabase({ max: 4 });
  jobs = await documentedJobs();
});
afterAll(async () => {
  await db?.drop();
});

describe('the pg_cron jobs of the guides', () => {
  const names = ['credits-sweeper', 'credits-allocation', 'credits-rollups', 'credits-promotions', 'credits-close-ledger'];
  it('are the sweeper, the allocation, the rollups, the promotional expiry and the closing, everywhere they are documented', () => {
    const packageJobs = jobs.filter((j) => !j.command.includes('cron.'));
    expect(new Set(packageJobs.map((j) => j.name))).toEqual(new Set(names));
    // One definition per job, whichever guide shows it.
    for (const name of names) {
      expect(new Set(packageJobs.filter((j) => j.name === name).map((j) => j.command)).size, name).toBe(1);
    }
  });

  it('each runs as written, as a member of credits_service, outside a transaction block', async () => {
    // Work for each job: a generation stuck for an hour, an account still in last month.
    const stuckUser = await newAccount(db.sql, 'basic');
    const { task_id } = await startGeneration(db.sql, stuckUser, 5);
    await db.sql`update enhancement_tasks set created_at = now() - interval '1 hour', updated_at = now() - interval '1 hour' where id = ${task_id}`;
    const behind = await newAccount(db.sql, 'pro');
    await db.sql`update user_credits set period_start = (period_start - interval '1 month')::date where user_id = ${behind}`;
    await db.sql`update credit_transactions set period_start = (period_start - interval '1 month')::date where user_id = ${behind}`;
    const promoted = await newAccount(db.sql, 'free');
    await db.sql`select grant_promotional_credits(${promoted}, 5, '1 hour', 'flash sale', 'job-test')`;
    await db.sql`update credits_private.promotional_lots set expires_at = now() - interval '1 minute' where user_id = ${promoted}`;

    const job = await db.sql.reserve();
    try {
      await job.unsafe('set role credits_service'); // the session's role, as pg_cron's job user
      for (const { name, command } of jobs.filter((j) => !j.command.includes('cron.'))) {
        await expect(
          job.unsafe(command).then(() => 'ran'),
          `${name}: ${command}`,
        ).resolves.toBe('ran');
      }
    } finally {
      await job.unsafe('reset role');
      job.release();
    }

    const [task] = await db.sql`select status, failure_source from enhancement_tasks where id = ${task_id}`;
    expect({ ...task }).toEqual({ status: 'failed', failure_source: 'timeout' });
    const [account] = await db.sql`
      select period_start = date_trunc('month', now() at time zone 'UTC')::date as current from user_credits where user_id = ${behind}`;
    expect(account!.current).toBe(true);
    const [refresh] = await db.sql`select refreshed_at from monitoring.rollup_state where name = 'rollups'`;
    expect(refresh?.refreshed_at).toBeTruthy();
    const [expired] = await db.sql`select credits::int, promotional_credits::int from user_credits where user_id = ${promoted}`;
    expect({ ...expired }).toEqual({ credits: 10, promotional_credits: 0 });
    const [closing] = await db.sql`select count(*)::int n from credits_private.ledger_closings`;
    expect(closing!.n).toBe(1); // closed through 00:00 UTC today
    expect(await db.sql`select * from verify_ledger()`).toEqual([]);
  });
});
