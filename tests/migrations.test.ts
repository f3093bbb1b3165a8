// Migrations against real databases: up, down and up again on an empty database and on one
// holding legacy rows; adoption of an existing database; refusal of data that breaks invariants.
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { afterEach, describe, expect, it } from 'vitest';
import { loadLegacyFixture } from '../tools/seeds/legacy-fixture.js';
import { importBalances } from '../src/adoption/import.js';
import {
  adoptBaseline,
  baselineMigration,
  migrateDown,
  migrateUp,
  migrationFiles,
  migrationStatus,
  migrationUpSection,
} from '../src/migrate/index.js';
import { sameServer } from '../src/db/url.js';
import { packageRoot } from '../src/paths.js';
import { adminUrl } from './helpers/admin.js';
import { createTestDatabase, type TestDatabase } from './helpers/db.js';
import { balanceOf, ledgerViolations, newAccount, startGeneration, type Sql } from './helpers/ledger.js';

const run = promisify(execFile);

const opened: TestDatabase[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((d) => d.drop()));
});
async function emptyDatabase() {
  const db = await createTestDatabase({ empty: true, max: 4 });
  opened.push(db);
  return db;
}

/** A clone of the run's template: what `migrate up` makes of an empty database, without running it again. */
async function migratedDatabase() {
  const db = await createTestDatabase({ max: 4 });
  opened.push(db);
  return db;
}

// credits as text: integer before 0007, bigint after (which the driver returns as a string)
const accounts = (sql: Sql) =>
  sql`select user_id, credits::text from user_credits order by user_id`.then((rows) => rows.map((r) => ({ ...r })));
const publicFunctions = (sql: Sql) =>
  sql`select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname = 'public' order by 1`.then((rows) => rows.map((r) => r.proname as string));
/** Columns, constraints, indexes, policies and schemas: what a rollback must restore exactly. */
const tableShape = (sql: Sql) =>
  sql`select 'column' kind, table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') what
        from information_schema.columns where table_schema = 'public'
      union all select 'constraint', conrelid::regclass || ' ' || pg_get_constraintdef(oid) from pg_constraint where connamespace = 'public'::regnamespace
      union all select 'index', indexdef from pg_indexes where schemaname = 'public'
      union all select 'policy', tablename || ' ' || policyname from pg_policies
      union all select 'rls', relname from pg_class where relrowsecurity
      union all select 'schema', nspname from pg_namespace where nspname not like 'pg\_%' and nspname not in ('information_schema', 'archive')
      order by 1, 2`.then((rows) => rows.map((r) => `${r.kind}: ${r.what}`));

describe('migrations on an empty database', () => {
  it('go up, down to the baseline and up again', async () => {
    const db = await emptyDatabase();
    await migrateUp({ databaseUrl: db.url, count: 1 });
    const baseline = await tableShape(db.sql);
    expect(await publicFunctions(db.sql)).toEqual(['consume_platform_credits']);

    await migrateUp({ databaseUrl: db.url });
    const status = await migrationStatus({ databaseUrl: db.url });
    expect(status.pending).toEqual([]);
    expect(status.definitions.changed).toEqual([]);
    expect(await publicFunctions(db.sql)).toContain('start_generation');

    const allButBaseline = (await migrationFiles()).length - 1;
    await expect(migrateDown({ databaseUrl: db.url, count: allButBaseline + 1 })).rejects.toMatchObject({ code: 'CR005' });
    expect(await publicFunctions(db.sql)).toContain('start_generation');
    await migrateDown({ databaseUrl: db.url, count: allButBaseline });
    expect((await migrationStatus({ databaseUrl: db.url })).applied).toEqual(['0001_legacy_baseline']);
    expect(await tableShape(db.sql)).toEqual(baseline);
    expect(await publicFunctions(db.sql)).toEqual(['consume_platform_credits']);

    await migrateUp({ databaseUrl: db.url });
    const user = await newAccount(db.sql, 'basic');
    expect((await startGeneration(db.sql, user, 5)).balance).toBe(95);
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it('0009 rolled back and applied again keeps which messages were normalised and the margin', async () => {
    const db = await migratedDatabase();
    const user = await newAccount(db.sql, 'basic');
    const { task_id } = await startGeneration(db.sql, user, 5);
    await db.sql`select fail_generation(${task_id}, null)`;
    await db.sql`update credits_private.sweeper_state set margin = '2 minutes'`;
    const all = await migrationFiles();
    await migrateDown({ databaseUrl: db.url, count: all.length - all.indexOf('0009_failure_path') }); // through 0009
    expect((await migrationStatus({ databaseUrl: db.url })).applied).not.toContain('0009_failure_path');
    await migrateUp({ databaseUrl: db.url });
    const [task] = await db.sql`select error_message_normalised from enhancement_tasks where id = ${task_id}`;
    expect(task).toEqual({ error_message_normalised: 'defaulted' });
    const [state] = await db.sql`select margin::text from credits_private.sweeper_state`;
    expect(state).toEqual({ margin: '00:02:00' });
  });

  it('0012 rolled back and applied again keeps the provider results waiting for their submission', async () => {
    const db = await migratedDatabase();
    await db.sql`select record_provider_result('wavespeed', 'pred-early', 'completed', 0.04, 'https://cdn/x.png')`;
    const all = await migrationFiles();
    await migrateDown({ databaseUrl: db.url, count: all.length - all.indexOf('0012_provider_glue') }); // through 0012
    expect((await migrationStatus({ databaseUrl: db.url })).applied).not.toContain('0012_provider_glue');
    await migrateUp({ databaseUrl: db.url });
    const user = await newAccount(db.sql, 'basic');
    const { task_id } = await startGeneration(db.sql, user, 5);
    const [marked] = await db.sql`select status from mark_generation_submitted(${task_id}, 'pred-early')`;
    expect(marked).toEqual({ status: 'completed' }); // the result stored before the roll-back is applied
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it("0017 rolled back says rpc on the sweeper's refunds, and sweeper again once applied", async () => {
    const db = await migratedDatabase();
    const user = await newAccount(db.sql, 'basic');
    const { task_id } = await startGeneration(db.sql, user, 5);
    await db.sql`update enhancement_tasks set updated_at = now() - interval '2 hours' where id = ${task_id}`;
    await db.sql`select * from expire_stale_generations('30 minutes')`;
    const origin = () => db.sql`select origin from credit_transactions where task_id = ${task_id} and type = 'refund'`;
    expect(await origin()).toEqual([{ origin: 'sweeper' }]);
    const all = await migrationFiles();
    await migrateDown({ databaseUrl: db.url, count: all.length - all.indexOf('0017_sweeper_origin') }); // through 0017
    expect(await origin()).toEqual([{ origin: 'rpc' }]);
    await migrateUp({ databaseUrl: db.url });
    expect(await origin()).toEqual([{ origin: 'sweeper' }]);
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it('0019 rolled back and applied again keeps the plan changes, the scheduled downgrades and the upgrade rows', async () => {
    const db = await migratedDatabase();
    const [up, down] = [await newAccount(db.sql, 'basic'), await newAccount(db.sql, 'basic')];
    await db.sql`select change_tier(${up}, 'pro', 'evt-up')`;
    await db.sql`select change_tier(${down}, 'free', 'evt-down')`;
    const all = await migrationFiles();
    await migrateDown({ databaseUrl: db.url, count: all.length - all.indexOf('0019_tier_changes') }); // through 0019
    expect(await db.sql`select type, amount::int from credit_transactions where user_id = ${up} and amount = 400`).toEqual([
      { type: 'adjustment', amount: 400 },
    ]);
    await migrateUp({ databaseUrl: db.url });
    expect(await db.sql`select type from credit_transactions where user_id = ${up} and amount = 400`).toEqual([{ type: 'tier_upgrade' }]);
    expect(await db.sql`select pending_tier from user_credits where user_id = ${down}`).toEqual([{ pending_tier: 'free' }]);
    const [replay] = await db.sql`select outcome, replayed from change_tier(${up}, 'pro', 'evt-up')`;
    expect(replay).toEqual({ outcome: 'upgraded', replayed: true });
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it('0021 rolled back and applied again keeps the thresholds and the events', async () => {
    const db = await migratedDatabase();
    await db.sql`update credit_tiers set low_balance_threshold = 30 where tier = 'basic'`;
    const user = await newAccount(db.sql, 'basic');
    await db.sql`select set_low_balance_threshold(${user}, 90)`;
    await startGeneration(db.sql, user, 20); // 100 -> 80: an event
    const state = () =>
      db.sql`select (select low_balance_threshold from credit_tiers where tier = 'basic') tier_threshold,
                    (select low_balance_threshold_override from user_credits where user_id = ${user}) own,
                    (select count(*)::int from credits_private.credit_events where user_id = ${user} and balance = 80) events`;
    expect(await state()).toEqual([{ tier_threshold: 30, own: 90, events: 1 }]);
    const all = await migrationFiles();
    await migrateDown({ databaseUrl: db.url, count: all.length - all.indexOf('0021_credit_events') }); // through 0021
    await migrateUp({ databaseUrl: db.url });
    expect(await state()).toEqual([{ tier_threshold: 30, own: 90, events: 1 }]);
    // the event keeps its id, and the next one gets a new id: consumers deduplicate by it
    const [before] = await db.sql`select max(id)::int id from credits_private.credit_events`;
    await db.sql`select set_low_balance_threshold(${user}, 79)`;
    await startGeneration(db.sql, user, 5); // 80 -> 75: a new event
    const [after] = await db.sql`select max(id)::int id, count(*)::int n from credits_private.credit_events`;
    expect(after).toEqual({ id: before!.id + 1, n: 2 });
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it('0023 rolled back keeps every promotional credit as purchased, and applied again keeps the grants and their keys', async () => {
    const db = await migratedDatabase();
    const user = await newAccount(db.sql, 'basic');
    const grant = (key: string, credits: number, validFor: string) =>
      db.sql`select * from grant_promotional_credits(${user}, ${credits}, ${validFor}::interval, 'launch', ${key})`;
    await grant('promo-1', 30, '7 days');
    const { task_id } = await startGeneration(db.sql, user, 10); // 10 of the lot's 30
    await grant('promo-2', 5, '1 day');
    await grant('promo-3', 8, '1 day'); // past its date at the roll-back: it expires, it is not kept
    await db.sql`update credits_private.promotional_lots set expires_at = now() - interval '1 second' where idempotency_key = 'promo-3'`;
    const account = () =>
      db.sql`select credits::int, monthly_credits::int monthly, purchased_credits::int purchased,
                    (select sum(amount)::int from credit_transactions where user_id = ${user}) ledger,
                    (select sum(amount - monthly_amount)::int from credit_transactions where user_id = ${user}) ledger_not_monthly
               from user_credits where user_id = ${user}`;
    const all = await migrationFiles();
    await migrateDown({ databaseUrl: db.url, count: all.length - all.indexOf('0023_promotional_credits') }); // through 0023
    // the 25 promotional credits still valid are the user's as purchased ones, and the ledger says so
    expect(await account()).toEqual([{ credits: 125, monthly: 100, purchased: 25, ledger: 125, ledger_not_monthly: 25 }]);
    await migrateUp({ databaseUrl: db.url });
    expect(await account()).toEqual([{ credits: 125, monthly: 100, purchased: 25, ledger: 125, ledger_not_monthly: 25 }]);
    // the grants' rows have their promotional parts back
    expect(await db.sql`select type from credit_transactions where user_id = ${user} and promotional_amount > 0`).toEqual([
      { type: 'adjustment' },
      { type: 'adjustment' },
      { type: 'adjustment' },
    ]);
    const [replay] = await grant('promo-1', 30, '7 days');
    expect(replay).toMatchObject({ replayed: true });
    // the charge's refund: its lot was closed by the roll-back, so the credits come back as purchased
    await db.sql`select * from fail_generation(${task_id}, 'provider error')`;
    expect(await account()).toEqual([{ credits: 135, monthly: 100, purchased: 35, ledger: 135, ledger_not_monthly: 35 }]);
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it('0024 regroups the errors of past days at the next refresh, after up and after down', async () => {
    const db = await migratedDatabase();
    const user = await newAccount(db.sql, 'basic');
    const { task_id } = await startGeneration(db.sql, user, 5);
    await db.sql`select fail_generation(${task_id}, 'WaveSpeed answered 502 to POST /api/v3/edit', 'api_error')`;
    // three days ago: a refresh that is not a full one leaves that day alone
    await db.sql`update enhancement_tasks set created_at = created_at - interval '3 days', updated_at = updated_at - interval '3 days',
                   completed_at = completed_at - interval '3 days' where id = ${task_id}`;
    await db.sql`update credit_transactions set created_at = created_at - interval '3 days' where task_id = ${task_id}`;
    await db.sql`select * from monitoring.refresh_rollups(true)`;
    // the rollup as the rule before 0024 wrote it, refreshed since: only a full refresh changes it
    await db.sql`update monitoring.failure_rollup_daily set error = 'WaveSpeed answered # to POST /api/v#/edit'`;
    const errors = async () => (await db.sql`select error from monitoring.failure_rollup_daily`).map((r) => r.error);
    await db.sql`select * from monitoring.refresh_rollups()`;
    expect(await errors()).toEqual(['WaveSpeed answered # to POST /api/v#/edit']);
    const all = await migrationFiles();
    await migrateDown({ databaseUrl: db.url, count: all.length - all.indexOf('0024_error_groups') }); // through 0024
    await migrateUp({ databaseUrl: db.url });
    await db.sql`select * from monitoring.refresh_rollups()`;
    expect(await errors()).toEqual(['WaveSpeed answered 502 to POST /api/v3/edit']);
  });

  it('0026 rolled back and applied again keeps what each import brought (the same import stays a no-op)', async () => {
    const db = await migratedDatabase();
    const user = crypto.randomUUID();
    const query = `select '${user}'::uuid as user_id, 'basic' as tier, 42 as purchased`;
    await importBalances(db.sql, { importId: 'kept', reason: 'r', source: { query } });
    const all = await migrationFiles();
    await migrateDown({ databaseUrl: db.url, count: all.length - all.indexOf('0026_credit_imports') }); // through 0026
    await migrateUp({ databaseUrl: db.url });
    const [kept] = await db.sql`select user_id::text, purchased_credits::int from credits_private.credit_imports where import_id = 'kept'`;
    expect(kept).toEqual({ user_id: user, purchased_credits: 42 });
    expect(await importBalances(db.sql, { importId: 'kept', reason: 'r', source: { query } })).toMatchObject({
      ok: true,
      summary: { accounts: 0, skipped: 1 },
    });
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it('0027 rolled back keeps every settlement and moves prices per unit aside; applied again, both are back', async () => {
    const db = await migratedDatabase();
    const user = await newAccount(db.sql, 'pro');
    await db.sql`insert into provider_prices (provider, model, cost_usd, effective_from, unit)
                 values ('wavespeed', 'nano-banana', 0.05, '2020-01-01', 'second'), ('wavespeed', 'image-27', 0.04, '2020-01-01', null)`;
    const { task_id } = await startGeneration(db.sql, user, 40); // model nano-banana: 0.05 USD a second
    await db.sql`select complete_generation(${task_id}, null, null, 15, 6)`;
    const balance = (await balanceOf(db.sql, user)).credits;
    const all = await migrationFiles();
    await migrateDown({ databaseUrl: db.url, count: all.length - all.indexOf('0027_settlements') }); // through 0027
    // an earlier release would read 0.05 a second as 0.05 a generation: that price waits in archive
    expect(await db.sql`select model from provider_prices order by 1`).toEqual([{ model: 'image-27' }]);
    expect((await balanceOf(db.sql, user)).credits).toBe(balance);
    expect(await db.sql`select amount::int, origin from credit_transactions where task_id = ${task_id} and type = 'refund'`).toEqual([
      { amount: 25, origin: 'settlement' },
    ]);
    await migrateUp({ databaseUrl: db.url });
    expect(await db.sql`select model, unit from provider_prices order by 1`).toEqual([
      { model: 'image-27', unit: null },
      { model: 'nano-banana', unit: 'second' },
    ]);
    expect(await db.sql`select credits_final::int, provider_cost_usd::text from get_generation(${task_id})`).toEqual([
      { credits_final: 15, provider_cost_usd: '0.300000' },
    ]);
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it('0028 rolled back keeps teams as accounts with their ledger, limits and members aside; applied again, all are back', async () => {
    const db = await migratedDatabase();
    const team = crypto.randomUUID();
    const member = crypto.randomUUID();
    await db.sql`select ensure_team_account(${team}, 'pro')`;
    await db.sql`select add_team_member(${team}, ${member}, 40)`;
    await db.sql`update credit_tiers set max_in_flight = 9 where tier = 'basic'`;
    await db.sql`select set_credit_limits(${team}, 3, 0)`;
    const [started] = await db.sql`select task_id from start_generation(${member}, 'image', 'wavespeed', 'm', 12, null, '{}', ${team})`;
    const balance = (await balanceOf(db.sql, team)).credits;
    const all = await migrationFiles();
    await migrateDown({ databaseUrl: db.url, count: all.length - all.indexOf('0028_limits_and_teams') }); // through 0028
    // an earlier release sees the team as an account, its ledger whole, what is in archive named
    expect((await balanceOf(db.sql, team)).credits).toBe(balance);
    expect(await db.sql`select count(*)::int n from archive.m0028_team_members`).toEqual([{ n: 1 }]);
    await migrateUp({ databaseUrl: db.url });
    // the generation in flight then fails as a team's: refunded to the team, naming the member
    await db.sql`select fail_generation(${started!.task_id}, 'boom')`;
    expect((await balanceOf(db.sql, team)).credits).toBe(balance + 12);
    expect(await db.sql`select user_id, daily_credit_limit from list_team_members(${team})`).toEqual([
      { user_id: member, daily_credit_limit: 40 },
    ]);
    expect(await db.sql`select max_in_flight, daily_credit_limit from get_credit_balance(${team})`).toEqual([
      { max_in_flight: 3, daily_credit_limit: null },
    ]);
    expect(await db.sql`select max_in_flight from credit_tiers where tier = 'basic'`).toEqual([{ max_in_flight: 9 }]);
    expect(await db.sql`select account_id, user_id from enhancement_tasks where id = ${started!.task_id}`).toEqual([
      { account_id: team, user_id: member },
    ]);
    expect(
      await db.sql`select count(*)::int n from credit_transactions where task_id = ${started!.task_id} and member_id = ${member}`,
    ).toEqual([{ n: 2 }]);
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it('0029 rolled back keeps every revocation and moves debts, keys and voids aside; applied again, all are back', async () => {
    const db = await migratedDatabase();
    const user = await newAccount(db.sql, 'free'); // 10 monthly credits
    const [grant] = await db.sql`select lot_id from grant_promotional_credits(${user}, 5, '7 days', 'welcome', 'promo')`;
    const { task_id } = await startGeneration(db.sql, user, 8); // 5 from the grant, 3 monthly
    await db.sql`select void_promotional_grant(${user}, ${grant!.lot_id}, 'abuse')`;
    await db.sql`select revoke_credits(${user}, 20, 'chargeback', 'dp_1')`; // holds 7: owes 13
    const all = await migrationFiles();
    await migrateDown({ databaseUrl: db.url, count: all.length - all.indexOf('0029_debt_and_revocations') }); // through 0029
    // an earlier release keeps the revocation row and the balance; the debt waits in archive
    expect((await balanceOf(db.sql, user)).credits).toBe(0);
    expect(await db.sql`select amount::int from credit_transactions where user_id = ${user} and type = 'revocation'`).toEqual([
      { amount: -20 },
    ]);
    expect(await db.sql`select debt_credits::int from archive.m0029_debts where user_id = ${user}`).toEqual([{ debt_credits: 13 }]);
    await migrateUp({ databaseUrl: db.url });
    expect(await db.sql`select total_credits::int, debt_credits::int from get_credit_balance(${user})`).toEqual([
      { total_credits: 0, debt_credits: 13 },
    ]);
    // the key replays; the grant stays void: the failed generation's refund repays the debt, and
    // its 5 promotional credits expire at once
    expect(await db.sql`select replayed, debt_credits::int from revoke_credits(${user}, 20, 'chargeback', 'dp_1')`).toEqual([
      { replayed: true, debt_credits: 13 },
    ]);
    await db.sql`select fail_generation(${task_id}, 'boom')`;
    expect(await db.sql`select total_credits::int, debt_credits::int from get_credit_balance(${user})`).toEqual([
      { total_credits: 0, debt_credits: 10 },
    ]);
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it("0030 rolled back keeps carried credits and moves the tiers' caps aside; applied again, they are back", async () => {
    const db = await migratedDatabase();
    await db.sql`select upsert_credit_tier('carry', 100, null, null, null, 30)`;
    const user = await newAccount(db.sql, 'carry');
    await startGeneration(db.sql, user, 40); // 60 unused
    await db.sql`update user_credits set period_start = period_start - interval '1 month' where user_id = ${user}`;
    await db.sql`update credit_transactions set period_start = period_start - interval '1 month'
                  where user_id = ${user} and period_start is not null`;
    await db.sql`select allocate_monthly_credits()`; // 30 carried, 30 expired, 100 granted
    const all = await migrationFiles();
    await migrateDown({ databaseUrl: db.url, count: all.length - all.indexOf('0030_rollover_and_tier_edits') }); // through 0030
    expect((await balanceOf(db.sql, user)).credits).toBe(130);
    expect(await db.sql`select rollover_cap from archive.m0030_tiers`).toEqual([{ rollover_cap: 30 }]);
    await migrateUp({ databaseUrl: db.url });
    expect(await db.sql`select rollover_cap from credit_tiers where tier = 'carry'`).toEqual([{ rollover_cap: 30 }]);
    expect(await db.sql`select monthly_credits::int from get_credit_balance(${user})`).toEqual([{ monthly_credits: 130 }]);
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it('0031 rolled back keeps the grants and moves their labels aside; applied again, they are back', async () => {
    const db = await migratedDatabase();
    const user = await newAccount(db.sql, 'free');
    await db.sql`select grant_promotional_credits(${user}, 20, '7 days', 'internal', 'g1', 'Welcome gift')`;
    const all = await migrationFiles();
    await migrateDown({ databaseUrl: db.url, count: all.length - all.indexOf('0031_promotional_labels') }); // through 0031
    expect((await balanceOf(db.sql, user)).credits).toBe(30);
    expect(await db.sql`select label from archive.m0031_labels`).toEqual([{ label: 'Welcome gift' }]);
    await migrateUp({ databaseUrl: db.url });
    expect(await db.sql`select granted::int, label from promotional_grants(${user})`).toEqual([{ granted: 20, label: 'Welcome gift' }]);
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it('0032 rolled back keeps the low-balance events and moves top-ups aside; applied again, the open request is back', async () => {
    const db = await migratedDatabase();
    const user = await newAccount(db.sql, 'basic'); // 100 credits
    await db.sql`select set_low_balance_threshold(${user}, 50)`;
    await db.sql`select set_auto_top_up(${user}, 50, 200, 1000)`;
    await startGeneration(db.sql, user, 60); // 40: a low-balance event and a request for 160
    const events =
      await db.sql`select id, kind, credits, idempotency_key from credits_private.credit_events where user_id = ${user} order by id`;
    expect(events.map((e) => e.kind)).toEqual(['low_balance', 'top_up_requested']);
    const all = await migrationFiles();
    await migrateDown({ databaseUrl: db.url, count: all.length - all.indexOf('0032_auto_top_ups') }); // through 0032
    expect(await db.sql`select kind from credits_private.credit_events where user_id = ${user}`).toEqual([{ kind: 'low_balance' }]);
    expect(await db.sql`select credits from archive.m0032_top_up_events`).toEqual([{ credits: 160 }]);
    await migrateUp({ databaseUrl: db.url });
    expect(
      await db.sql`select id, kind, credits, idempotency_key from credits_private.credit_events where user_id = ${user} order by id`,
    ).toEqual(events);
    // still open: a second crossing asks nothing; its key grants and closes it
    await db.sql`select grant_credits(${user}, 20, 'goodwill', 'gw')`;
    await startGeneration(db.sql, user, 20);
    expect(await db.sql`select count(*)::int n from credits_private.credit_events where kind = 'top_up_requested'`).toEqual([{ n: 1 }]);
    await db.sql`select grant_credits(${user}, 160, 'top-up', ${events[1]!.idempotency_key})`;
    expect(await db.sql`select outcome from credits_private.credit_events where id = ${events[1]!.id}`).toEqual([{ outcome: 'granted' }]);
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it('0033 rolled back keeps every ledger row and moves the closings aside; applied again, the ledger closes again', async () => {
    const db = await migratedDatabase();
    const user = await newAccount(db.sql, 'basic');
    await startGeneration(db.sql, user, 10);
    await db.sql`update credit_transactions set created_at = created_at - interval '2 days' where user_id = ${user}`;
    expect(await db.sql`select ledger_rows::int, outcome from close_ledger()`).toEqual([{ ledger_rows: 2, outcome: 'closed' }]);
    await expect(db.sql`update credit_transactions set description = 'x' where user_id = ${user}`).rejects.toMatchObject({ code: 'CR005' });
    const all = await migrationFiles();
    await migrateDown({ databaseUrl: db.url, count: all.length - all.indexOf('0033_ledger_closings') }); // through 0033
    expect(await db.sql`select count(*)::int n from credit_transactions where user_id = ${user}`).toEqual([{ n: 2 }]);
    expect(await db.sql`select ledger_rows::int from archive.m0033_ledger_closings`).toEqual([{ ledger_rows: 2 }]);
    await migrateUp({ databaseUrl: db.url });
    expect(await db.sql`select ledger_rows::int, outcome from close_ledger()`).toEqual([{ ledger_rows: 2, outcome: 'closed' }]);
    await expect(db.sql`delete from credit_transactions where user_id = ${user}`).rejects.toMatchObject({ code: 'CR005' });
    expect(await db.sql`select * from verify_open_period()`).toEqual([]);
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it('refuses a database that is not UTF8 before writing anything, saying how to make one', async () => {
    const name = `credits_ascii_${Date.now()}`;
    const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name} encoding 'SQL_ASCII' template template0 lc_collate 'C' lc_ctype 'C'`);
    try {
      const url = sameServer(adminUrl(), name);
      const refusal = await migrateUp({ databaseUrl: url }).catch((e: Error & { hint?: string }) => e);
      expect(refusal).toMatchObject({ message: expect.stringContaining('encoded SQL_ASCII: the credits ledger needs a UTF8 database') });
      expect((refusal as { hint?: string }).hint).toContain('createdb -E UTF8');
      const db = postgres(url, { max: 1, onnotice: () => {} });
      const [left] = await db`select count(*)::int n from pg_namespace where nspname in ('credits_meta', 'credits_private', 'monitoring')`;
      await db.end();
      expect(left!.n).toBe(0);
    } finally {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  });

  it('waits for a rollup refresh in progress before it migrates (the refresh would overwrite what 0024 resets)', async () => {
    const db = await emptyDatabase();
    await migrateUp({ databaseUrl: db.url, count: 5 });
    const lines: string[] = [];
    let deployed = false;
    let deploy: Promise<void> | undefined;
    // a refresh in progress: a transaction holding refresh_rollups' lock
    await db.sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(hashtext('monitoring.refresh_rollups'))`;
      deploy = migrateUp({ databaseUrl: db.url, log: (l) => lines.push(l) }).then(() => {
        deployed = true;
      });
      await new Promise((r) => setTimeout(r, 700));
      expect(deployed).toBe(false);
    });
    await deploy;
    expect(deployed).toBe(true);
    expect(lines).toContain('waiting for a running monitoring.refresh_rollups() to finish');
  });

  it('refuses to roll back the baseline and changes nothing', async () => {
    const db = await emptyDatabase();
    await migrateUp({ databaseUrl: db.url, count: 1 });
    await expect(migrateDown({ databaseUrl: db.url })).rejects.toMatchObject({ code: 'CR005' });
    expect((await migrationStatus({ databaseUrl: db.url })).applied).toEqual(['0001_legacy_baseline']);
    const [pools] = await db.sql`select count(*)::int n from credit_pools`;
    expect(pools!.n).toBe(2);
  });
});

describe('migrations on a database holding legacy rows', () => {
  it('keep every balance, reconcile the ledger, and survive down and up again', async () => {
    const db = await emptyDatabase();
    await migrateUp({ databaseUrl: db.url, count: 1 });
    await loadLegacyFixture(db.sql, 400);
    const before = await accounts(db.sql);
    const [legacy] =
      await db.sql`select (select count(*)::int from credit_transactions) ledger, (select count(*)::int from enhancement_tasks) tasks`;

    await migrateUp({ databaseUrl: db.url });
    expect(await accounts(db.sql)).toEqual(before);
    expect(await ledgerViolations(db.sql)).toEqual([]);
    const [mapped] = await db.sql`
      select (select count(*)::int from enhancement_tasks where status not in ('pending', 'processing', 'completed', 'failed')) bad_status,
             (select count(*)::int from enhancement_tasks where metadata ->> 'legacy_status' = 'succeeded' and status = 'completed') succeeded,
             (select count(*)::int from credit_transactions where legacy_type = 'bonus' and type = 'adjustment') bonus,
             (select count(*)::int from credit_transactions where origin = 'adoption') openings,
             (select count(*)::int from credit_tiers where tier = 'enterprise' and monthly_allowance = 2000) enterprise,
             (select count(*)::int from user_credits where monthly_credits <> 0 or purchased_credits <> credits) not_purchased`;
    expect(mapped).toMatchObject({ bad_status: 0, bonus: (400 / 17) | 0, enterprise: 1, not_purchased: 0 });
    expect(mapped!.succeeded).toBeGreaterThan(0);
    expect(mapped!.openings).toBeGreaterThanOrEqual(400 / 5 - 400 / 35 - 1);

    // Life goes on after adoption: a charge, a refund of a legacy stuck task by the sweeper.
    const user = before[0]!.user_id as string;
    await db.sql`select grant_credits(${user}, 10, 'goodwill', 'gw-1')`;
    await startGeneration(db.sql, user, 3);
    const swept = await db.sql`select * from expire_stale_generations('30 minutes')`;
    expect(swept.length).toBe(400 / 4);
    const after = await db.sql`select user_id, credits, monthly_credits, purchased_credits from user_credits order by user_id`;
    const [ledger] = await db.sql`select count(*)::int n from credit_transactions`;
    await db.sql`update monitoring.thresholds set value = 0.97 where name = 'success_rate_min'`; // a DBA's tuning

    await migrateDown({ databaseUrl: db.url, count: (await migrationFiles()).length - 1 });
    const [rolledBack] = await db.sql`
      select (select count(*)::int from credit_transactions) ledger,
             (select count(*)::int from enhancement_tasks where status = 'succeeded') succeeded,
             (select count(*)::int from credit_transactions where type = 'bonus') bonus`;
    expect(rolledBack).toMatchObject({ ledger: ledger!.n, bonus: (400 / 17) | 0, succeeded: mapped!.succeeded });

    await migrateUp({ databaseUrl: db.url });
    expect(
      (await db.sql`select user_id, credits, monthly_credits, purchased_credits from user_credits order by user_id`).map((r) => ({ ...r })),
    ).toEqual(after.map((r) => ({ ...r })));
    const [again] =
      await db.sql`select count(*)::int n, count(*) filter (where origin = 'adoption')::int openings from credit_transactions`;
    expect(again).toEqual({ n: ledger!.n, openings: mapped!.openings });
    expect(await db.sql`select value::text from monitoring.thresholds where name = 'success_rate_min'`).toEqual([{ value: '0.97' }]);
    expect(await ledgerViolations(db.sql)).toEqual([]);
    expect(legacy!.tasks).toBeGreaterThan(0);
  });

  it('adopts a production database created outside the migration tool', async () => {
    const db = await emptyDatabase();
    await db.sql.unsafe(await migrationUpSection(baselineMigration));
    await loadLegacyFixture(db.sql, 50);
    const before = await accounts(db.sql);

    await expect(migrateUp({ databaseUrl: db.url })).rejects.toMatchObject({
      name: 'DeployConflictError', // the pre-flight: tests/preflight.test.ts
      conflicts: [expect.objectContaining({ advice: expect.stringContaining('credits migrate adopt') })],
    });
    expect((await migrationStatus({ databaseUrl: db.url })).applied).toEqual([]);

    await adoptBaseline({ databaseUrl: db.url });
    await migrateUp({ databaseUrl: db.url });
    expect(await accounts(db.sql)).toEqual(before);
    expect(await ledgerViolations(db.sql)).toEqual([]);
    await expect(adoptBaseline({ databaseUrl: db.url })).rejects.toThrow(/already managed/);
  });

  it('refuses legacy data that breaks an invariant, naming it, and changes nothing', async () => {
    const db = await emptyDatabase();
    await migrateUp({ databaseUrl: db.url, count: 1 });
    await db.sql`insert into user_credits (user_id, credits) values ('00000000-0000-0000-0000-0000000000bd', -3)`;
    const error = await migrateUp({ databaseUrl: db.url }).catch((e: { code?: string; detail?: string }) => e);
    expect(error).toMatchObject({ code: 'CR003' });
    expect((error as { detail: string }).detail).toContain('00000000-0000-0000-0000-0000000000bd');
    expect((await migrationStatus({ databaseUrl: db.url })).applied).toEqual(['0001_legacy_baseline']);
    expect(await db.sql`select to_regclass('public.credit_tiers') t`).toEqual([{ t: null }]);
  });
});

describe('0007: bigint credits', () => {
  const bigintMigration = '0007_bigint_credits';
  /** How many migrations to roll back to undo 0007 (later ones come off first). */
  const downTo0006 = async () => {
    const files = await migrationFiles();
    return files.length - files.indexOf(bigintMigration);
  };
  const creditColumns = (sql: Sql) =>
    sql`select table_name || '.' || column_name c, data_type t from information_schema.columns
         where table_schema = 'public' and (table_name, column_name) in
               (('user_credits', 'credits'), ('user_credits', 'monthly_credits'), ('user_credits', 'purchased_credits'),
                ('user_credits', 'credits_used_this_month'), ('user_credits', 'monthly_allowance'),
                ('credit_transactions', 'amount'), ('credit_transactions', 'monthly_amount'),
                ('credit_transactions', 'balance_after'), ('enhancement_tasks', 'credits_used'))
         order by 1`.then((rows) => rows.map((r) => `${r.c} ${r.t}`));
  const snapshot = (sql: Sql) =>
    // 0019's pending_tier, 0021's thresholds, 0023's promotional columns, 0028's limited_since and
    // 0032's auto_top_up_threshold leave with it too (archived where set, then restored)
    sql`select (select json_agg(to_jsonb(u) - 'pending_tier' - 'low_balance_threshold' - 'low_balance_threshold_override'
                                - 'promotional_credits' - 'limited_since' - 'auto_top_up_threshold' order by u.user_id)::text
                  from user_credits u) accounts,
               (select json_agg(to_jsonb(c) - 'promotional_amount' - 'member_id' - 'debt_amount' order by c.id)::text from credit_transactions c) ledger,
               -- 0009's, 0027's and 0028's columns leave with it when the roll-back passes them (archived, then restored)
               (select json_agg(to_jsonb(t) - 'error_message_normalised' - 'credits_settled_back' - 'account_id' order by t.id)::text
                  from enhancement_tasks t) tasks`;

  it('upgrades a deployed database: the views it drops come back with the deploy', async () => {
    // A database deployed when 0006 was the latest migration: functions and views applied.
    const root = await mkdtemp(path.join(tmpdir(), 'credits-0006-'));
    try {
      await mkdir(path.join(root, 'migrations'));
      for (const f of await migrationFiles()) {
        if (f < bigintMigration) await cp(path.join(packageRoot, 'migrations', `${f}.sql`), path.join(root, 'migrations', `${f}.sql`));
      }
      // ... with the functions and views of that release (the commit before 0007 was added).
      const { stdout } = await run('git', ['log', '--diff-filter=A', '--format=%H', '--', `migrations/${bigintMigration}.sql`], {
        cwd: packageRoot,
      });
      const added = stdout.trim().split('\n').at(-1);
      await run('sh', ['-c', `git archive ${added}^ functions views | tar -x -C "${root}"`], { cwd: packageRoot });
      const db = await emptyDatabase();
      await migrateUp({ databaseUrl: db.url, root });
      expect((await migrationStatus({ databaseUrl: db.url, root })).definitions.changed).toEqual([]);
      const user = await newAccount(db.sql, 'basic');
      await startGeneration(db.sql, user, 5);
      const views =
        await db.sql`select schemaname || '.' || viewname v from pg_views where schemaname in ('monitoring', 'credits_private') order by 1`;
      expect(views.length).toBeGreaterThan(5);

      await migrateUp({ databaseUrl: db.url });
      expect((await migrationStatus({ databaseUrl: db.url })).definitions.changed).toEqual([]);
      // Every view of that release is back (the latest release may add more).
      expect(
        await db.sql`select schemaname || '.' || viewname v from pg_views where schemaname in ('monitoring', 'credits_private') order by 1`,
      ).toEqual(expect.arrayContaining([...views]));
      expect((await creditColumns(db.sql)).every((c) => c.endsWith(' bigint'))).toBe(true);
      expect(await db.sql`select credits_charged::int from monitoring.summary where granularity = 'day'`).toEqual([]);
      expect(await db.sql`select credits::int from user_credits where user_id = ${user}`).toEqual([{ credits: 95 }]);
      expect(await ledgerViolations(db.sql)).toEqual([]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('rolls back to integer columns and up again, losing nothing, when every value fits', async () => {
    const db = await createTestDatabase({ max: 4 });
    opened.push(db);
    const users = [await newAccount(db.sql, 'pro'), await newAccount(db.sql, 'basic')];
    // 21 grants of 100,000,000: 2,100,000,100 credits, still inside the integer range
    for (let i = 1; i <= 21; i++) await db.sql`select grant_credits(${users[0]!}, 100000000, 'large but in range', ${`big-${i}`})`;
    await startGeneration(db.sql, users[0]!, 7);
    await startGeneration(db.sql, users[1]!, 3);
    const before = await snapshot(db.sql);
    const bigint = await creditColumns(db.sql);
    expect(bigint.every((c) => c.endsWith(' bigint'))).toBe(true);

    await migrateDown({ databaseUrl: db.url, count: await downTo0006() });
    expect(await creditColumns(db.sql)).toEqual(bigint.map((c) => c.replace(/ bigint$/, ' integer')));
    expect(await snapshot(db.sql)).toEqual(before);

    await migrateUp({ databaseUrl: db.url });
    expect(await creditColumns(db.sql)).toEqual(bigint);
    expect(await snapshot(db.sql)).toEqual(before);
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it('refuses to roll back (CR005, naming the rows) while a value exceeds the integer range', async () => {
    const db = await createTestDatabase({ max: 4 });
    opened.push(db);
    const big = await newAccount(db.sql, 'basic');
    const small = await newAccount(db.sql, 'basic');
    for (let i = 1; i <= 22; i++) await db.sql`select grant_credits(${big}, 100000000, 'bulk', ${`bulk-${i}`})`;
    const before = await snapshot(db.sql);

    const error = await migrateDown({ databaseUrl: db.url, count: await downTo0006() }).catch((e: { code?: string; detail?: string }) => e);
    expect(error).toMatchObject({ code: 'CR005' });
    expect((error as { detail: string }).detail).toContain(big);
    expect((error as { detail: string }).detail).not.toContain(small);
    expect((await migrationStatus({ databaseUrl: db.url })).applied).toContain(bigintMigration);
    expect((await creditColumns(db.sql)).every((c) => c.endsWith(' bigint'))).toBe(true);
    expect(await snapshot(db.sql)).toEqual(before);
    // the functions came back with the refusal
    expect((await startGeneration(db.sql, big, 5)).balance).toBe(2200000095);
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });
});
