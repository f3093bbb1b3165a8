// The "Never null" annotations in the definitions' headers, which make result fields non-null in
// the generated types (tools/codegen/annotations.ts), checked against real calls and reads: a
// database where every function and view returns rows along each of its paths (replays, ignored
// callbacks, refunds of tasks with and without an account, drift, legacy failures, hints), and
// every annotated column of every row is filled. An annotated function or view that returned no
// row here is a failure too: a claim nobody exercised is not checked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { introspect, type CatalogFunction } from '../tools/codegen/introspect.js';
import { outputsOf } from '../tools/codegen/render.js';
import * as client from '../src/generated/client.js';
import { createTestDatabase, type TestDatabase } from './helpers/db.js';
import { newAccount } from './helpers/ledger.js';

let db: TestDatabase;
/** Every row each function returned here, by schema.name ('the result' rows for scalars). */
const observed = new Map<string, Record<string, unknown>[]>();

function record<T>(fn: string, result: T, scalar = false): T {
  const rows = scalar ? [{ 'the result': result }] : Array.isArray(result) ? result : [result];
  observed.set(fn, [...(observed.get(fn) ?? []), ...(rows as Record<string, unknown>[])]);
  return result;
}

async function exercise(sql: TestDatabase['sql']) {
  const start = (userId: string, model: string, credits = 1, idempotencyKey?: string) =>
    client
      .startGeneration(sql, { userId, taskType: 'enhance', provider: 'wavespeed', model, credits, idempotencyKey })
      .then((r) => record('public.start_generation', r));

  const pro = await newAccount(sql, 'pro');
  record('public.ensure_credit_account', await client.ensureCreditAccount(sql, { userId: pro, tier: 'pro' })); // exists
  record('public.ensure_credit_account', await client.ensureCreditAccount(sql, { userId: crypto.randomUUID() })); // created
  record('public.grant_credits', await client.grantCredits(sql, { userId: pro, credits: 500, reason: 'top-up', idempotencyKey: 'g1' }));
  record('public.grant_credits', await client.grantCredits(sql, { userId: pro, credits: 500, reason: 'top-up', idempotencyKey: 'g1' })); // replayed
  const planned = await newAccount(sql, 'basic');
  record('public.change_tier', await client.changeTier(sql, { userId: planned, tier: 'pro', idempotencyKey: 't1' })); // upgraded
  record('public.change_tier', await client.changeTier(sql, { userId: planned, tier: 'free', idempotencyKey: 't2' })); // scheduled
  record('public.change_tier', await client.changeTier(sql, { userId: planned, tier: 'free', idempotencyKey: 't2' })); // replayed
  const promotion = { userId: planned, credits: 20, validFor: '7 days', reason: 'launch', idempotencyKey: 'p1' };
  record('public.grant_promotional_credits', await client.grantPromotionalCredits(sql, promotion));
  record('public.grant_promotional_credits', await client.grantPromotionalCredits(sql, promotion)); // replayed
  await client.grantPromotionalCredits(sql, { ...promotion, credits: 3, validFor: '1 hour', idempotencyKey: 'p2' });
  await sql`update credits_private.promotional_lots set expires_at = now() - interval '1 second' where idempotency_key = 'p2'`;
  record('public.expire_promotional_credits', await client.expirePromotionalCredits(sql)); // one lot
  record('public.expire_promotional_credits', await client.expirePromotionalCredits(sql)); // none left
  record('public.get_credit_balance', await client.getCreditBalance(sql, { userId: planned })); // with promotional credits
  record('public.credit_history', await client.creditHistory(sql, { userId: planned }));
  record('public.credit_statement', await client.creditStatement(sql, { userId: planned }));

  // Two models of one provider, 20 generations each: 'flaky' fails half of its, so it gets a hint.
  for (let i = 0; i < 20; i++) {
    const steady = await start(pro, 'steady', 2, i === 0 ? 'k1' : undefined);
    record(
      'public.mark_generation_submitted',
      await client.markGenerationSubmitted(sql, { taskId: steady.task_id, externalTaskId: `s-${i}` }),
    );
    record('public.complete_generation', await client.completeGeneration(sql, { taskId: steady.task_id, providerCostUsd: '0.04' }));
    const flaky = await start(pro, 'flaky', 2);
    if (i % 2)
      record('public.complete_generation', await client.completeGeneration(sql, { taskId: flaky.task_id })); // unpriced
    else
      record(
        'public.fail_generation',
        await client.failGeneration(sql, { taskId: flaky.task_id, errorMessage: 'nsfw filter', source: 'callback' }),
      );
  }
  const first = await start(pro, 'steady', 2, 'k1'); // replayed
  record('public.mark_generation_submitted', await client.markGenerationSubmitted(sql, { taskId: first.task_id, externalTaskId: 's-0' })); // already
  record('public.complete_generation', await client.completeGeneration(sql, { taskId: first.task_id })); // already_completed
  record('public.fail_generation', await client.failGeneration(sql, { taskId: first.task_id, errorMessage: 'late' })); // ignored

  // A task whose user has no account any more: its refund reports no balance.
  const gone = await newAccount(sql, 'basic');
  const orphan = await start(gone, 'steady', 3);
  const failedEarlier = await start(gone, 'steady', 3);
  await client.failGeneration(sql, { taskId: failedEarlier.task_id, errorMessage: 'x' });
  await sql`delete from credit_transactions where user_id = ${gone}`;
  await sql`delete from user_credits where user_id = ${gone}`;
  record('public.fail_generation', await client.failGeneration(sql, { taskId: failedEarlier.task_id, errorMessage: 'again' }));

  // Stale tasks for the sweeper, one of them without an account.
  const stale = await start(pro, 'steady', 1);
  await sql`update enhancement_tasks set updated_at = now() - interval '2 hours' where id in ${sql([stale.task_id, orphan.task_id])}`;
  record('public.expire_stale_generations', await client.expireStaleGenerations(sql, { olderThan: '1 hour' }));
  const submitted = await start(pro, 'steady', 1);
  await client.markGenerationSubmitted(sql, { taskId: submitted.task_id, externalTaskId: 'job-reconcile' });
  await sql`update enhancement_tasks set updated_at = now() - interval '10 minutes' where id = ${submitted.task_id}`;
  record('public.claim_generations_to_reconcile', await client.claimGenerationsToReconcile(sql, { provider: 'wavespeed' }));

  // A legacy failure never refunded, and an account that drifted from its ledger.
  const legacy = crypto.randomUUID();
  const legacyTask = crypto.randomUUID();
  await sql`insert into user_credits (user_id, credits, purchased_credits) values (${legacy}, 4, 4)`;
  await sql`insert into enhancement_tasks (id, user_id, task_type, provider, status, credits_used, error_message, origin, completed_at)
            values (${legacyTask}, ${legacy}, 'enhance', 'wavespeed', 'failed', 6, 'oom', 'legacy', now() - interval '3 days')`;
  await sql`insert into credit_transactions (user_id, amount, type, task_id, origin)
            values (${legacy}, 10, 'purchase', null, 'legacy'), (${legacy}, -6, 'usage', ${legacyTask}, 'legacy')`;
  record('public.backfill_missing_refunds', await client.backfillMissingRefunds(sql)); // dry run
  const drifted = await newAccount(sql, 'free');
  await sql`update user_credits set credits = credits + 1, purchased_credits = purchased_credits + 1 where user_id = ${drifted}`;
  record('public.verify_ledger', await client.verifyLedger(sql));
  // closed periods (issue 30): the daily proof before any closing (the full one: the drift found),
  // then, the drift undone, a closing and the same again (the drift back after: monitoring shows it)
  record('public.verify_open_period', await client.verifyOpenPeriod(sql));
  await sql`update user_credits set credits = credits - 1, purchased_credits = purchased_credits - 1 where user_id = ${drifted}`;
  record('public.close_ledger', await client.closeLedger(sql));
  record('public.close_ledger', await client.closeLedger(sql)); // already closed
  await sql`update user_credits set credits = credits + 1, purchased_credits = purchased_credits + 1 where user_id = ${drifted}`;

  record('public.get_credit_balance', await client.getCreditBalance(sql, { userId: pro }));
  // a threshold at the balance itself: the next charge crosses it
  await client.setLowBalanceThreshold(sql, { userId: pro, threshold: (await client.getCreditBalance(sql, { userId: pro })).total_credits });
  await client.startGeneration(sql, { userId: pro, taskType: 'enhance', provider: 'wavespeed', model: 'steady', credits: 1 });
  const events = await client.claimCreditEvents(sql);
  record('public.claim_credit_events', events);
  record('public.complete_credit_events', await client.completeCreditEvents(sql, { eventIds: events.map((e) => e.event_id) }), true);
  record('public.get_generation', await client.getGeneration(sql, { taskId: first.task_id })); // completed
  record('public.get_generation', await client.getGeneration(sql, { taskId: stale.task_id })); // swept
  const late = await start(pro, 'steady', 1);
  record(
    'public.record_provider_result',
    await client.recordProviderResult(sql, { provider: 'wavespeed', externalTaskId: 'job-late', status: 'failed' }),
  ); // stored
  record(
    'public.mark_generation_submitted',
    await client.markGenerationSubmitted(sql, { taskId: late.task_id, externalTaskId: 'job-late' }),
  ); // applies it
  record(
    'public.record_provider_result',
    await client.recordProviderResult(sql, { provider: 'wavespeed', externalTaskId: 'job-late', status: 'completed' }),
  ); // ignored
  record('public.get_generation', await client.getGeneration(sql, { taskId: late.task_id })); // failed by the stored result
  await client.recordProviderResult(sql, {
    provider: 'wavespeed',
    externalTaskId: 'job-lost',
    status: 'completed',
    payload: { model: 'steady' },
  });
  await sql`update credits_private.provider_results set received_at = now() - interval '1 hour' where external_task_id = 'job-lost'`;
  record(
    'public.my_credit_balance',
    await sql.begin(async (tx) => {
      await tx`select set_config('request.jwt.claims', ${JSON.stringify({ sub: pro, role: 'authenticated' })}, true)`;
      return client.myCreditBalance(tx);
    }),
  );
  const asUser = <T>(read: (tx: TestDatabase['sql']) => Promise<T>) =>
    sql.begin(async (tx) => {
      await tx`select set_config('request.jwt.claims', ${JSON.stringify({ sub: pro, role: 'authenticated' })}, true)`;
      return read(tx as unknown as TestDatabase['sql']);
    }) as Promise<T>;
  record('public.my_credit_history', await asUser((tx) => client.myCreditHistory(tx)));
  record('public.my_credit_statement', await asUser((tx) => client.myCreditStatement(tx)));
  // a team (contract §12): created and again, a member with a cap and one without, their starts,
  // their statements, the member's view of their teams; the limits of an account
  const team = crypto.randomUUID();
  record('public.ensure_team_account', await client.ensureTeamAccount(sql, { teamId: team, tier: 'pro' })); // created
  record('public.ensure_team_account', await client.ensureTeamAccount(sql, { teamId: team })); // exists
  record('public.add_team_member', await client.addTeamMember(sql, { teamId: team, userId: pro, dailyCreditLimit: 50 }));
  record('public.add_team_member', await client.addTeamMember(sql, { teamId: team, userId: crypto.randomUUID() })); // no cap
  record(
    'public.start_generation',
    await client.startGeneration(sql, {
      userId: pro,
      accountId: team,
      taskType: 'image',
      provider: 'wavespeed',
      model: 'steady',
      credits: 4,
    }),
  );
  record('public.list_team_members', await client.listTeamMembers(sql, { teamId: team, includeRemoved: true }));
  record('public.team_member_statement', await client.teamMemberStatement(sql, { teamId: team, userId: pro }));
  record('public.my_team_balances', await asUser((tx) => client.myTeamBalances(tx)));
  await client.grantPromotionalCredits(sql, { userId: pro, credits: 2, validFor: '7 days', reason: 'r', idempotencyKey: 'nn-mine' });
  record('public.my_promotional_grants', await asUser((tx) => client.myPromotionalGrants(tx)));
  record('public.remove_team_member', await client.removeTeamMember(sql, { teamId: team, userId: pro }));
  record('public.set_credit_limits', await client.setCreditLimits(sql, { userId: team, maxInFlight: 3, dailyCreditLimit: 0 }));
  // taking credits back (contract §13): a grant voided, and again; a revocation past the balance
  // (debt), and its replay; the team's balance then shows the debt
  const promo = await client.grantPromotionalCredits(sql, {
    userId: team,
    credits: 5,
    validFor: '7 days',
    reason: 'welcome',
    idempotencyKey: 'nn-promo',
  });
  for (let i = 0; i < 2; i++)
    record('public.void_promotional_grant', await client.voidPromotionalGrant(sql, { userId: team, lotId: promo.lot_id, reason: 'abuse' }));
  for (let i = 0; i < 2; i++)
    record(
      'public.revoke_credits',
      await client.revokeCredits(sql, { userId: team, credits: 100_000, reason: 'chargeback', idempotencyKey: 'nn-dp' }),
    );
  record('public.get_credit_balance', await client.getCreditBalance(sql, { userId: team }));
  // automatic top-ups (contract §13): on with and without a limit, a crossing, its request
  // declined and again, off
  const topped = crypto.randomUUID();
  await client.ensureCreditAccount(sql, { userId: topped, tier: 'basic' });
  record('public.set_auto_top_up', await client.setAutoTopUp(sql, { userId: topped, threshold: 50, target: 200, monthlyLimit: 500 }));
  record('public.set_auto_top_up', await client.setAutoTopUp(sql, { userId: topped, threshold: 50, target: 200, monthlyLimit: null }));
  await client.startGeneration(sql, { userId: topped, taskType: 'image', provider: 'wavespeed', model: 'steady', credits: 60 });
  const [request] = await sql`select id from credits_private.credit_events where user_id = ${topped} and kind = 'top_up_requested'`;
  for (let i = 0; i < 2; i++) record('public.decline_top_up', await client.declineTopUp(sql, { eventId: Number(request!.id) }));
  record('public.get_auto_top_up', await client.getAutoTopUp(sql, { userId: topped })); // on, no request open
  record('public.get_auto_top_up', await client.getAutoTopUp(sql, { userId: pro })); // never set
  record('public.set_auto_top_up', await client.setAutoTopUp(sql, { userId: topped, threshold: null, target: null, monthlyLimit: null }));
  // tiers an admin edits (contract §13): created, then every value replaced
  record('public.upsert_credit_tier', await client.upsertCreditTier(sql, { tier: 'nn-tier', monthlyAllowance: 0 }));
  record(
    'public.upsert_credit_tier',
    await client.upsertCreditTier(sql, {
      tier: 'nn-tier',
      monthlyAllowance: 50,
      lowBalanceThreshold: 5,
      maxInFlight: 2,
      dailyCreditLimit: 100,
      rolloverCap: 10,
    }),
  );
  // reading (contract §13): the live grants (one labelled, one not), a balance at an instant
  await client.grantPromotionalCredits(sql, {
    userId: team,
    credits: 7,
    validFor: '7 days',
    reason: 'internal',
    idempotencyKey: 'nn-labelled',
    label: 'Welcome gift',
  });
  await client.grantPromotionalCredits(sql, { userId: team, credits: 3, validFor: '8 days', reason: 'r', idempotencyKey: 'nn-plain' });
  record('public.promotional_grants', await client.promotionalGrants(sql, { userId: team }));
  record('public.credit_balance_at', await client.creditBalanceAt(sql, { userId: team, at: new Date() }));
  record('public.credit_history', await client.creditHistory(sql, { userId: team }));
  record('public.credit_statement', await client.creditStatement(sql, { userId: team }));
  record('public.allocate_monthly_credits', await client.allocateMonthlyCredits(sql));
  record('public.allocate_monthly_credits', await client.allocateMonthlyCredits(sql)); // nothing left to move
  record('monitoring.refresh_rollups', await client.monitoringRefreshRollups(sql));
  record('monitoring.todays_generations', await client.monitoringTodaysGenerations(sql));
  record('monitoring.todays_health', await client.monitoringTodaysHealth(sql));
  record('monitoring.todays_health', await client.monitoringTodaysHealth(sql, { asOfRefresh: true }));
  record('monitoring.provider_performance_last_7_days', await client.monitoringProviderPerformanceLast7Days(sql));
  record('monitoring.refund_rate', await client.monitoringRefundRate(sql, { creditsRefunded: '1', creditsCharged: '20' }), true);
  record('public.admin_credit_stats', await client.adminCreditStats(sql), true);
  record(
    'public.admin_credit_stats',
    await client.adminCreditStats(sql, { from: new Date('2020-01-01'), to: new Date('2020-02-01') }),
    true,
  ); // empty
  const today = new Date(new Date().toISOString().slice(0, 10));
  record(
    'public.admin_credit_stats',
    await client.adminCreditStats(sql, { from: today, to: new Date(today.getTime() + 86_400_000), asOfRefresh: true }),
    true,
  );
}

beforeAll(async () => {
  db = await createTestDatabase({ max: 2 });
  await exercise(db.sql);
});
afterAll(() => db.drop());

describe('"Never null" annotations', () => {
  it('hold for every row every annotated function returned', async () => {
    const { functions } = await introspect(db.sql);
    const annotated = functions.filter((f) => f.annotations.neverNull.length > 0);
    expect(annotated.length).toBeGreaterThan(10);
    const columns = (f: CatalogFunction) => (outputsOf(f).length ? outputsOf(f).map((o) => o.name) : ['the result']);
    for (const f of annotated) {
      const name = `${f.schema}.${f.name}`;
      const rows = observed.get(name) ?? [];
      expect(rows.length, `${name} returned no row in this test: exercise it`).toBeGreaterThan(0);
      for (const row of rows) {
        expect(Object.keys(row).sort(), name).toEqual(columns(f).sort());
        for (const column of f.annotations.neverNull) expect(row[column], `${name}.${column} in ${JSON.stringify(row)}`).not.toBeNull();
      }
    }
  });

  it('hold for every row of every annotated view', async () => {
    const { views } = await introspect(db.sql);
    for (const v of views.filter((view) => view.annotations.neverNull.length > 0)) {
      const name = `${v.schema}.${v.name}`;
      const rows = await db.sql.unsafe(`select * from ${name}`);
      expect(rows.length, `${name} has no row in this test: give it one`).toBeGreaterThan(0);
      for (const row of rows) {
        for (const column of v.annotations.neverNull) expect(row[column], `${name}.${column} in ${JSON.stringify(row)}`).not.toBeNull();
      }
    }
  });

  it('come with results that are plain JSON data: JSON.parse(JSON.stringify(r)) equals r', async () => {
    for (const [name, rows] of observed) expect(JSON.parse(JSON.stringify(rows)), name).toEqual(rows);
    const readers = Object.entries(client).filter(([name]) => name.startsWith('readMonitoring'));
    expect(readers.length).toBeGreaterThan(10);
    for (const [name, read] of readers) {
      const rows = await (read as (sql: TestDatabase['sql']) => Promise<unknown[]>)(db.sql);
      expect(JSON.parse(JSON.stringify(rows)), name).toEqual(rows);
    }
    const [health] = await client.readMonitoringPlatformHealth(db.sql);
    expect(health!.rollups_refreshed_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?\+00:00$/);
    expect(typeof health!.success_rate_min).toBe('number');
  });

  it('are refused by codegen when they name a column the result does not have', async () => {
    const { parseAnnotations } = await import('../tools/codegen/annotations.js');
    const { renderClient } = await import('../tools/codegen/render.js');
    const { functions } = await introspect(db.sql);
    const start = functions.find((f) => f.name === 'start_generation')!;
    const typo = {
      ...start,
      annotations: parseAnnotations('-- Never null: task_id, balanse.\ncreate function …', 'functions/public/start_generation.sql'),
    };
    expect(() => renderClient({ functions: [typo], views: [] })).toThrow(/Never null: balanse/);
  });
});
