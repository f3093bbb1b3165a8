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
export async function createTestDatabase(options: { empty?: boolean; max?: number } = {}): Promise<TestDatabase> {
  const name = `credits_t_${inject('runId')}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(options.empty ? `create database ${name}` : `create database ${name} template ${inject('template')}`);
  } finally {
    await admin.end();
  }
  const url = sameServer(adminUrl(), name);
  const sql = postgres(url, { max: options.max ?? 10, onnotice: () => {} });
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
