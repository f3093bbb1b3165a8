import { randomUUID } from 'node:crypto';
import type postgres from 'postgres';

export type Sql = postgres.Sql;

/** A new account on `tier`; returns its user id. */
export async function newAccount(sql: Sql, tier = 'free'): Promise<string> {
  const userId = randomUUID();
  await sql`select ensure_credit_account(${userId}, ${tier})`;
  return userId;
}

export async function startGeneration(sql: Sql, userId: string, credits: number, key: string | null = null) {
  const [row] = await sql<{ task_id: string; balance: number; replayed: boolean }[]>`
    select * from start_generation(${userId}, 'enhance', 'wavespeed', 'nano-banana', ${credits}, ${key})`;
  return row!;
}

export async function balanceOf(sql: Sql, userId: string) {
  const [row] = await sql<{ credits: number; monthly_credits: number; purchased_credits: number }[]>`
    select credits, monthly_credits, purchased_credits from user_credits where user_id = ${userId}`;
  return row!;
}

export async function ledgerViolations(sql: Sql) {
  return sql<{ invariant: string; user_id: string | null; task_id: string | null; detail: string }[]>`
    select * from verify_ledger()`;
}

/** Settles every promise and splits results from SQLSTATEs. */
export async function settle<T>(work: Promise<T>[]) {
  const results = await Promise.allSettled(work);
  const ok = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const codes = results.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as { code?: string }).code ?? r.reason)] : []));
  return { ok, codes };
}
