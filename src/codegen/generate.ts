// Builds the client's source from a database: introspect, render. The CLI (scripts/codegen.ts)
// and the freshness test share it.
import postgres from 'postgres';
import path from 'node:path';
import { packageRoot } from '../paths.js';
import { introspect } from './introspect.js';
import { renderClient } from './render.js';

export const generatedClientPath = path.join(packageRoot, 'src/generated/client.ts');

export async function generateClient(databaseUrl: string): Promise<string> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    return renderClient(await introspect(sql));
  } finally {
    await sql.end();
  }
}
