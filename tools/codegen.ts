// npm run codegen [-- --check]
// Migrates a scratch database to the latest version (on the server of DATABASE_URL, else on an
// embedded PostgreSQL), generates src/generated/client.ts, src/generated/supabase.ts and the
// tables' snapshot docs/schema.sql from its catalog and writes them; with --check, exits 1 when a
// committed file differs from what the migrations produce.
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { generatedFiles, generatedPath, generateSources } from './codegen/generate.js';
import { migrateUp } from '../src/migrate/index.js';
import { workServer } from './server.js';

const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });

async function main(): Promise<number> {
  const server = await workServer();
  const scratch = `credits_codegen_${randomBytes(4).toString('hex')}`;
  try {
    const { url } = await server.ensureDatabase(scratch, true);
    await migrateUp({ databaseUrl: url });
    const sources = await generateSources(url);
    let stale = 0;
    for (const file of Object.keys(generatedFiles) as (keyof typeof generatedFiles)[]) {
      const name = generatedFiles[file];
      const committed = await readFile(generatedPath(file), 'utf8').catch(() => '');
      if (values.check) {
        if (committed === sources[file]) console.log(`${name} is up to date`);
        else {
          console.error(`${name} is stale: run \`npm run codegen\` and commit the result`);
          stale++;
        }
        continue;
      }
      if (committed !== sources[file]) await writeFile(generatedPath(file), sources[file]);
      console.log(committed === sources[file] ? `${name} unchanged` : `wrote ${name}`);
    }
    return stale ? 1 : 0;
  } finally {
    await server.dropDatabase(scratch);
    await server.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
