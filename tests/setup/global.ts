// Starts the project's server (the machine's PostgreSQL, or an embedded one for pg18), builds
// one migrated template database, and hands both to the tests. Each test file clones the
// template (CREATE DATABASE ... TEMPLATE takes a fraction of a second) and drops its clone.
// Names carry the run's id, so parallel runs never meet; the teardown drops what this run made.
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type EmbeddedServer } from '../../tools/embedded.js';
import { migrateUp } from '../../src/migrate/index.js';
import { sameServer } from '../../src/db/url.js';

declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
    runId: string;
    template: string;
  }
}

const machineServer = process.env.TEST_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export default async function setup(project: TestProject) {
  let embedded: EmbeddedServer | undefined;
  let adminUrl = machineServer;
  if (project.name === 'pg18') {
    embedded = await startEmbeddedPostgres();
    adminUrl = embedded.url;
  }
  const runId = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  const template = `credits_tpl_${runId}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${template}`);
  const tpl = postgres(sameServer(adminUrl, template), { max: 1, onnotice: () => {} });
  const [pgtap] = await tpl`select count(*)::int n from pg_available_extensions where name = 'pgtap'`;
  if (pgtap!.n > 0) {
    // pgTAP lives in its own schema so that it never mixes with the package's functions.
    await tpl.unsafe(`
      create schema tap;
      create extension pgtap schema tap;
      grant usage on schema tap to public;
      grant execute on all functions in schema tap to public;`);
  }
  await tpl.end();
  await migrateUp({ databaseUrl: sameServer(adminUrl, template) });
  project.provide('adminUrl', adminUrl);
  project.provide('runId', runId);
  project.provide('template', template);

  return async () => {
    const leftovers = await admin<{ datname: string }[]>`
      select datname from pg_database where datname like ${`credits_%${runId}%`}`;
    for (const { datname } of leftovers) await admin.unsafe(`drop database if exists "${datname}" with (force)`);
    await admin.end();
    await embedded?.stop();
  };
}
