// npm run codegen [-- --check]
// Migrates a scratch database to the latest version (on the server of DATABASE_URL, else on an
// embedded PostgreSQL), generates src/generated/client.ts from its catalog and writes it; with
// --check, exits 1 when the committed file differs from what the migrations produce.
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { generateClient, generatedClientPath } from '../src/codegen/generate.js';
import { migrateUp } from '../src/migrate/index.js';
import { workServer } from './server.js';

const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });

async function main(): Promise<number> {
  const server = await workServer();
  const scratch = `credits_codegen_${randomBytes(4).toString('hex')}`;
  try {
    const { url } = await server.ensureDatabase(scratch, true);
    await migrateUp({ databaseUrl: url });
    const source = await generateClient(url);
    const committed = await readFile(generatedClientPath, 'utf8').catch(() => '');
    if (values.check) {
      if (committed === source) {
        console.log('src/generated/client.ts is up to date');
        return 0;
      }
      console.error('src/generated/client.ts is stale: run `npm run codegen` and commit the result');
      return 1;
    }
    await writeFile(generatedClientPath, source);
    console.log(committed === source ? 'src/generated/client.ts unchanged' : 'wrote src/generated/client.ts');
    return 0;
  } finally {
    await server.dropDatabase(scratch);
    await server.stop();
  }
}

main().then((code) => process.exit(code), (error) => {
  console.error(error);
  process.exit(1);
});
