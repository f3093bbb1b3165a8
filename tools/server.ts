// Where the benchmarks and the code generator work: the server of DATABASE_URL (in databases of
// their own), or an embedded PostgreSQL started for the run.
import postgres from 'postgres';
import { sameServer } from '../src/db/url.js';
import { startEmbeddedPostgres, type EmbeddedServer } from './embedded.js';

export interface WorkServer {
  adminUrl: string;
  label: string;
  embedded?: EmbeddedServer;
  /** Creates the database when missing; true when it was created now. */
  ensureDatabase(name: string, fresh: boolean): Promise<{ url: string; created: boolean }>;
  dropDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

export async function workServer(): Promise<WorkServer> {
  let embedded: EmbeddedServer | undefined;
  let adminUrl = process.env.DATABASE_URL ? sameServer(process.env.DATABASE_URL, 'postgres') : undefined;
  if (!adminUrl) {
    embedded = await startEmbeddedPostgres();
    adminUrl = embedded.url;
  }
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  const [{ server_version }] = (await admin`show server_version`) as unknown as [{ server_version: string }];
  return {
    adminUrl,
    embedded,
    label: `PostgreSQL ${server_version}${embedded ? ' (embedded)' : ''}`,
    async ensureDatabase(name, fresh) {
      if (fresh) await admin.unsafe(`drop database if exists ${name} with (force)`);
      const exists = await admin`select 1 from pg_database where datname = ${name}`;
      if (exists.length === 0) await admin.unsafe(`create database ${name}`);
      return { url: sameServer(adminUrl!, name), created: exists.length === 0 };
    },
    async dropDatabase(name) {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
    },
    async stop() {
      await admin.end();
      await embedded?.stop();
    },
  };
}
