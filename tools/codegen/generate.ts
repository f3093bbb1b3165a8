// Builds the generated sources from a database: introspect, render. The CLI (tools/codegen.ts)
// and the freshness test share it.
import postgres from 'postgres';
import path from 'node:path';
import { packageRoot } from '../../src/paths.js';
import { introspect } from './introspect.js';
import { renderClient } from './render.js';
import { renderSupabaseTypes } from './render-supabase.js';
import { renderReference } from './render-reference.js';
import { renderSchemaSnapshot } from './schema-snapshot.js';

/** Each generated file, by its path under the package root. */
export const generatedFiles = {
  client: 'src/generated/client.ts',
  supabase: 'src/generated/supabase.ts',
  schema: 'docs/schema.sql',
  reference: 'docs/api.md',
} as const;

export const generatedPath = (file: keyof typeof generatedFiles) => path.join(packageRoot, generatedFiles[file]);

export async function generateSources(databaseUrl: string): Promise<Record<keyof typeof generatedFiles, string>> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const catalog = await introspect(sql);
    return {
      client: renderClient(catalog),
      supabase: renderSupabaseTypes(catalog),
      schema: await renderSchemaSnapshot(sql),
      reference: await renderReference(catalog),
    };
  } finally {
    await sql.end();
  }
}
