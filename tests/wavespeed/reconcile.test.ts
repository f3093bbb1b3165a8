// Reconcile before refunding: tasks whose webhook never came are settled by asking the (fake)
// provider — completed at its cost, failed and refunded, left alone while it still works on them,
// expired past the hard limit — and two reconciliations at once ask about different tasks.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from '../../src/generated/client.js';
import { reconcileGenerations, submitGeneration, WaveSpeedApi, type SubmitConfig } from '../../src/wavespeed/index.js';
import type { FakeWaveSpeed } from '../../tools/fake-wavespeed.js';
import { packageRoot } from '../../src/paths.js';
import { serveFetch } from '../../src/serve-fetch.js';
import { runCli } from '../helpers/cli.js';
import type { TestDatabase } from '../helpers/db.js';
import { glueModel, startGlueBench, type GlueBench } from '../helpers/wavespeed.js';
import { newAccount } from '../helpers/ledger.js';

const model = glueModel;
let bench: GlueBench;
let db: TestDatabase;
let fake: FakeWaveSpeed;
let config: SubmitConfig;

beforeAll(async () => {
  bench = await startGlueBench({ connections: 8, timeoutMs: 2000 });
  ({ db, fake, config } = bench);
});
afterAll(() => bench?.close());

/**
 * The keys docs/cli.md's JSON shapes give `reconcile`: the document's, and a task's (a key
 * written `name?` is there only sometimes).
 */
async function documentedReport() {
  const doc = await readFile(path.join(packageRoot, 'docs/cli.md'), 'utf8');
  const entry = /^reconcile +(\{.*(?:\n {2,}.*)*)/m.exec(doc)?.[1] ?? '';
  const keys = (list: string) =>
    list
      .split(',')
      .map((key) => key.trim())
      .filter(Boolean);
  const task = keys(/tasks: \[\{([^}]*)\}\]/.exec(entry)?.[1] ?? '');
  const document = keys(entry.replace(/tasks: \[\{[^}]*\}\]/, 'tasks').replace(/^\{|\}[^}]*$/g, ''));
  return {
    document,
    taskRequired: task.filter((k) => !k.endsWith('?')),
    taskAll: task.map((k) => k.replace(/\?$/, '')),
  };
}

/** Submits with the given webhook behaviour, then ages the task as if it had been in flight for `minutes`. */
async function inFlight(userId: string, webhook: 'lost' | 'lost-failed' | 'stays-processing', minutes: number) {
  fake.plan({ webhook });
  const submitted = await submitGeneration(db.sql, config, { userId, model, input: { prompt: 'p' }, credits: 4 });
  await fake.settled();
  await db.sql`update enhancement_tasks set updated_at = now() - make_interval(mins => ${minutes}) where id = ${submitted.taskId}`;
  return submitted.taskId;
}

describe('reconcileGenerations', () => {
  it('settles each lost webhook as the provider says, and leaves fresh tasks alone', async () => {
    const user = await newAccount(db.sql, 'pro');
    const completed = await inFlight(user, 'lost', 5);
    const failed = await inFlight(user, 'lost-failed', 5);
    const working = await inFlight(user, 'stays-processing', 5);
    const overdue = await inFlight(user, 'stays-processing', 25);
    const fresh = await inFlight(user, 'lost', 0);

    const report = await reconcileGenerations(db.sql, { api: config.api, olderThanSeconds: 120, hardLimitSeconds: 1200 });
    expect(report).toMatchObject({ checked: 4, completed: 1, failed: 1, stillProcessing: 1, expired: 1, errors: 0 });
    const task = (taskId: string) => client.getGeneration(db.sql, { taskId });
    expect(await task(completed)).toMatchObject({ status: 'completed', provider_cost_usd: '0.039000' });
    expect(await task(failed)).toMatchObject({ status: 'failed', failure_source: 'callback' });
    expect(await task(working)).toMatchObject({ status: 'processing' });
    expect(await task(overdue)).toMatchObject({ status: 'failed', failure_source: 'timeout' });
    expect(await task(fresh)).toMatchObject({ status: 'processing' });
    expect((await client.getCreditBalance(db.sql, { userId: user })).total_credits).toBe(500 - 4 - 4 - 4); // completed, working, fresh
    expect(await client.verifyLedger(db.sql)).toEqual([]);

    // A second run within the lease asks about nothing again; past it, the one still working is asked again.
    expect((await reconcileGenerations(db.sql, { api: config.api })).checked).toBe(0);
  });

  it('two reconciliations at once ask about different tasks', async () => {
    const user = await newAccount(db.sql, 'pro');
    for (let i = 0; i < 12; i++) await inFlight(user, 'lost', 5);
    const [a, b] = await Promise.all([
      reconcileGenerations(db.sql, { api: config.api, concurrency: 3 }),
      reconcileGenerations(db.sql, { api: config.api, concurrency: 3 }),
    ]);
    const asked = [...a.tasks, ...b.tasks].map((t) => t.taskId);
    expect(new Set(asked).size).toBe(asked.length);
    expect(a.completed + b.completed).toBe(12);
  });

  it('holds a task for the lease its claimer asked for, whatever lease a later claim asks for', async () => {
    const user = await newAccount(db.sql, 'pro');
    const taskId = await inFlight(user, 'stays-processing', 5);
    const claim = (lease: string) =>
      client.claimGenerationsToReconcile(db.sql, { provider: 'wavespeed', lease }).then((rows) => rows.some((r) => r.task_id === taskId));
    expect(await claim('1 hour')).toBe(true);
    expect(await claim('1 second')).toBe(false); // held for the hour
    await db.sql`update credits_private.reconcile_leases set leased_until = now() - interval '1 second' where task_id = ${taskId}`;
    expect(await claim('1 second')).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await claim('2 minutes')).toBe(true); // a one-second lease is over after a second
    await client.failGeneration(db.sql, { taskId, errorMessage: 'test over', source: 'admin' });
  });

  it('a run holds only the tasks it is asking about: one started meanwhile never asks about the same task', async () => {
    const user = await newAccount(db.sql, 'pro');
    const tasks = new Set<string>();
    for (let i = 0; i < 8; i++) tasks.add(await inFlight(user, 'lost', 5));
    // a slow provider: 0.8 s an answer; a lease of 5 s, which the whole run (8 answers) outlasts
    const slow = new WaveSpeedApi({
      apiKey: fake.apiKey,
      baseUrl: fake.url,
      timeoutMs: 2000,
      fetch: async (url, init) => {
        await new Promise((resolve) => setTimeout(resolve, 800));
        return fetch(url, init);
      },
    });
    const first = reconcileGenerations(db.sql, { api: slow, concurrency: 1, leaseSeconds: 5 });
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const second = await reconcileGenerations(db.sql, { api: config.api, concurrency: 4 });
    const a = (await first).tasks.map((t) => t.taskId).filter((id) => tasks.has(id));
    const b = second.tasks.map((t) => t.taskId).filter((id) => tasks.has(id));
    expect(a.filter((id) => b.includes(id))).toEqual([]);
    expect(new Set([...a, ...b]).size).toBe(8);
    expect(b.length).toBeGreaterThan(0); // the second run took what the first had not reached
  });

  it('counts a provider it cannot ask as an error and changes nothing', async () => {
    const user = await newAccount(db.sql, 'pro');
    const taskId = await inFlight(user, 'lost', 5);
    const down = await serveFetch(async () => new Response('{}', { status: 503 }));
    const report = await reconcileGenerations(db.sql, { api: new WaveSpeedApi({ apiKey: 'k', baseUrl: down.url, timeoutMs: 500 }) });
    await down.close();
    expect(report).toMatchObject({ checked: 1, errors: 1 });
    expect(report.tasks[0]).toMatchObject({ taskId, outcome: 'error', detail: expect.stringMatching(/503/) });
    expect((await client.getGeneration(db.sql, { taskId })).status).toBe('processing');
  });

  it('a task whose answer cannot be recorded is an error of that task only: the others are settled', async () => {
    const user = await newAccount(db.sql, 'pro');
    const blocked = await inFlight(user, 'lost', 5);
    const free = await inFlight(user, 'lost', 5);
    const blockedJob = (await client.getGeneration(db.sql, { taskId: blocked })).external_task_id!;
    // While the provider is asked about the blocked task, another transaction holds its row: recording
    // the answer runs into lock_timeout (55P03), as a database failure would.
    const holder = postgres(db.url, { max: 1, onnotice: () => {} });
    let release!: () => void;
    const holding = new Promise<void>((resolve) => (release = resolve));
    let held: Promise<unknown> | undefined;
    const api = new WaveSpeedApi({
      apiKey: fake.apiKey,
      baseUrl: fake.url,
      timeoutMs: 2000,
      fetch: async (url, init) => {
        if (String(url).includes(blockedJob) && !held) {
          let locked!: () => void;
          const isLocked = new Promise<void>((resolve) => (locked = resolve));
          held = holder.begin(async (tx) => {
            await tx`select 1 from enhancement_tasks where id = ${blocked} for update`;
            locked();
            await holding;
          });
          await isLocked;
        }
        return fetch(url, init);
      },
    });
    const impatient = postgres(db.url, { max: 4, onnotice: () => {}, connection: { lock_timeout: 300 } });
    try {
      const report = await reconcileGenerations(impatient, { api, concurrency: 1 });
      expect(report.tasks.find((t) => t.taskId === blocked)).toMatchObject({ outcome: 'error', detail: expect.stringMatching(/lock/) });
      expect(report.tasks.find((t) => t.taskId === free)).toMatchObject({ outcome: 'completed' });
    } finally {
      release();
      await held;
      await holder.end();
      await impatient.end();
    }
    expect((await client.getGeneration(db.sql, { taskId: blocked })).status).toBe('processing'); // left for the next run
  });

  it('credits reconcile does the same from the command line, and says what it settled', async () => {
    const user = await newAccount(db.sql, 'pro');
    const taskId = await inFlight(user, 'lost-failed', 5);
    const env = { DATABASE_URL: db.url, WAVESPEED_API_KEY: fake.apiKey, WAVESPEED_BASE_URL: fake.url };
    expect((await runCli(['reconcile'], { ...env, WAVESPEED_API_KEY: undefined })).code).toBe(2); // no key: usage error, nothing done
    expect((await runCli(['reconcile', '--older-than', '10 minutes', '--hard-limit', '5 minutes'], env)).code).toBe(2);
    const run = await runCli(['reconcile', '--json'], env);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ checked: 1, failed: 1, tasks: [{ taskId, outcome: 'failed' }] });
    // the shape docs/cli.md gives it, key for key
    const documented = await documentedReport();
    expect(Object.keys(report).sort()).toEqual([...documented.document].sort());
    for (const t of report.tasks) {
      expect(Object.keys(t)).toEqual(expect.arrayContaining(documented.taskRequired));
      expect(documented.taskAll).toEqual(expect.arrayContaining(Object.keys(t)));
    }
    const { completed, failed, expired, stillProcessing, unchanged, errors } = report;
    expect(completed + failed + expired + stillProcessing + unchanged + errors).toBe(report.checked);
    expect((await client.getGeneration(db.sql, { taskId })).status).toBe('failed');
    const again = await runCli(['reconcile'], env);
    expect(again.stdout).toMatch(/nothing to reconcile/);
  });
});
