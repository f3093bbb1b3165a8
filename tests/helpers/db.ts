import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { inject } from 'vitest';
import { sameServer } from '../../src/db/url.js';
import { adminUrl } from './admin.js';

export interface TestDatabase {
  name: string;
  url: string;
  /** A pool on the database, as the postgres superuser. */
  sql: postgres.Sql;
  drop(): Promise<void>;
}

/** A fresh database: a clone of the run's migrated template, or empty with { empty: true }. */
/**
 * The most connections a test file races with: three files run at once (vitest.config.ts), and
 * three times this, with the set-up's own, stays within a server's 100 connections.
 */
export const RACE_CONNECTIONS = 30;

export async function createTestDatabase(options: { empty?: boolean; max?: number } = {}): Promise<TestDatabase> {
  const name = `credits_t_${inject('runId')}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(options.empty ? `create database ${name}` : `create database ${name} template ${inject('template')}`);
  } finally {
    await admin.end();
  }
  const url = sameServer(adminUrl(), name);
  // Idle connections close after 5 s: a file that races 40 connections once does not hold them
  // while the files running beside it need theirs (the servers allow 100 and 120 in all).
  const sql = postgres(url, { max: options.max ?? 10, idle_timeout: 5, onnotice: () => {} });
  return {
    name,
    url,
    sql,
    async drop() {
      await sql.end();
      const a = postgres(adminUrl(), { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}
