// Builds one migrated template database per run; each test file clones it (CREATE DATABASE ...
// TEMPLATE takes a fraction of a second) and drops its clone. Names carry the run's id, so
// parallel runs never meet, and the teardown drops whatever this run created.
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { migrateUp } from '../../src/migrate/index.js';
import { adminUrl, databaseUrl } from '../helpers/admin.js';

declare module 'vitest' {
  export interface ProvidedContext {
    runId: string;
    template: string;
  }
}

export default async function setup(project: TestProject) {
  const runId = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  const template = `credits_tpl_${runId}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${template}`);
  const tpl = postgres(databaseUrl(template), { max: 1, onnotice: () => {} });
  // pgTAP lives in its own schema so that it never mixes with the package's functions.
  await tpl.unsafe(`
    create schema tap;
    create extension pgtap schema tap;
    grant usage on schema tap to public;
    grant execute on all functions in schema tap to public;`);
  await tpl.end();
  await migrateUp({ databaseUrl: databaseUrl(template) });
  project.provide('runId', runId);
  project.provide('template', template);

  return async () => {
    const leftovers = await admin<{ datname: string }[]>`
      select datname from pg_database where datname like ${`credits_%${runId}%`}`;
    for (const { datname } of leftovers) await admin.unsafe(`drop database if exists "${datname}" with (force)`);
    await admin.end();
  };
}
