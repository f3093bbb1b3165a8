// Shortcuts over the generated client for the tests.
import { randomUUID } from 'node:crypto';
import type postgres from 'postgres';
import * as client from '../../src/generated/client.js';

export type Sql = postgres.Sql;

/** A new account on `tier`; returns its user id. */
/** A new account on `tier`; plain SQL, so that it also works on a database of an older release. */
export async function newAccount(sql: Sql, tier = 'free'): Promise<string> {
  const userId = randomUUID();
  await sql`select created from ensure_credit_account(${userId}, ${tier})`;
  return userId;
}

export async function startGeneration(sql: Sql, userId: string, credits: number, idempotencyKey?: string) {
  const row = await client.startGeneration(sql, {
    userId,
    taskType: 'enhance',
    provider: 'wavespeed',
    model: 'nano-banana',
    credits,
    idempotencyKey,
  });
  // balances are bigint; the tests' amounts are small, numbers keep their assertions plain
  return { task_id: row.task_id!, balance: Number(row.balance!), replayed: row.replayed! };
}

export async function balanceOf(sql: Sql, userId: string) {
  const [row] = await sql<{ credits: number; monthly_credits: number; purchased_credits: number }[]>`
    select credits::int, monthly_credits::int, purchased_credits::int from user_credits where user_id = ${userId}`;
  return row!;
}

export function ledgerViolations(sql: Sql) {
  return client.verifyLedger(sql);
}

/** Settles every promise and splits results from SQLSTATEs. */
export async function settle<T>(work: Promise<T>[]) {
  const results = await Promise.allSettled(work);
  const ok = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const codes = results.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as { code?: string }).code ?? r.reason)] : []));
  return { ok, codes };
}

/** Every row of an account's history, read a page of `limit` at a time (keyset: --before the last id). */
export async function historyPages(sql: Sql, userId: string, limit: number): Promise<client.CreditHistoryResult[]> {
  const rows: client.CreditHistoryResult[] = [];
  let before: string | undefined;
  for (;;) {
    const page = await client.creditHistory(sql, { userId, limit, ...(before ? { before } : {}) });
    rows.push(...page);
    if (page.length < limit) return rows;
    before = page.at(-1)!.id;
  }
}
