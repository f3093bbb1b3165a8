// What the reference says about each object beyond the catalog: which definitions and which
// shipped TypeScript files use it, and which test files are its own (tests/<schema>/<object>.*),
// read from the files themselves so that the answer cannot drift from the code.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadDefinitions } from '../../src/migrate/definitions.js';
import { packageRoot } from '../../src/paths.js';
import { camel } from './types.js';

export interface CrossReference {
  /** Who uses `schema.name`: definitions as `schema.object`, TypeScript as its path. */
  usedBy(schema: string, name: string): string[];
  /** The object's own test files, relative to the root. */
  testsOf(schema: string, name: string): string[];
  /** The definitions of the private schemas, with their `comment on` (else their header's first line). */
  helpers(): { schema: string; object: string; kind: string; file: string; summary: string }[];
}

/** A definition's `comment on` text, or the first line of its header after the name. */
function summaryOf(sql: string, object: string): string {
  const comment = /\bcomment on (?:function|procedure|view) [\s\S]*?\bis\s+'((?:[^']|'')*)'/i.exec(sql);
  if (comment) return comment[1]!.replace(/''/g, "'");
  // the header's first sentence, over as many lines as it takes
  const header = (/^(?:--.*\n)+/.exec(sql)?.[0] ?? '').replace(/^-- ?/gm, '').replace(/\s+/g, ' ').trim();
  const text = header.startsWith(`${object}:`) ? header.slice(object.length + 1).trim() : header;
  const sentence = /^.*?[.)](?= [A-Z(]|$)/.exec(text)?.[0] ?? text;
  return sentence.charAt(0).toUpperCase() + sentence.slice(1);
}

async function files(dir: string): Promise<string[]> {
  const entries = await readdir(path.join(packageRoot, dir), { withFileTypes: true, recursive: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(packageRoot, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
}

const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export async function crossReference(): Promise<CrossReference> {
  const definitions = (await loadDefinitions(packageRoot)).map((d) => ({ ...d, code: d.sql.replace(/--.*$/gm, '') }));
  // The shipped TypeScript that calls the database (src/generated is the client itself).
  const sources = await Promise.all(
    (await files('src'))
      .filter((f) => f.endsWith('.ts') && !f.startsWith('src/generated/'))
      .map(async (f) => ({ file: f, code: await readFile(path.join(packageRoot, f), 'utf8') })),
  );
  const tests = new Set(await files('tests'));
  return {
    usedBy(schema, name) {
      const qualified = new RegExp(`\\b${literal(schema)}\\.${literal(name)}\\b`);
      const inSql = definitions
        .filter((d) => !(d.schema === schema && d.object === name) && qualified.test(d.code))
        .map((d) => `${d.schema}.${d.object}`);
      // the generated client's function (startGeneration, monitoringSummary) or, in SQL text, the name
      const exported = camel(schema === 'public' ? name : `${schema}_${name}`);
      const called = new RegExp(`\\b(${literal(exported)}\\(|${literal(schema)}\\.${literal(name)}\\b)`);
      const inTs = sources.filter((s) => called.test(s.code)).map((s) => s.file);
      return [...inSql.sort(), ...inTs.sort()];
    },
    helpers() {
      return definitions
        .filter((d) => d.schema.endsWith('_private'))
        .map((d) => ({ schema: d.schema, object: d.object, kind: d.kind, file: d.name, summary: summaryOf(d.sql, d.object) }));
    },
    testsOf(schema, name) {
      return [`tests/${schema}/${name}.sql`, `tests/${schema}/${name}.test.ts`].filter((f) => tests.has(f));
    },
  };
}
