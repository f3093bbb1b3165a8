// The layout says the architecture: each definition sits in the folder named after its schema,
// docs/architecture.md's map names every folder, an object's tests are named after it, every
// public function has its tests, comment, reference entry and client export, and the
// documentation's links lead somewhere.
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadDefinitions } from '../src/migrate/definitions.js';
import { packageRoot } from '../src/paths.js';
import { camel } from '../tools/codegen/types.js';

const run = promisify(execFile);
const read = (file: string) => readFile(path.join(packageRoot, file), 'utf8');

/** The project's files (tracked, or new and not ignored), relative to the root. */
async function projectFiles(): Promise<string[]> {
  const { stdout } = await run('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: packageRoot });
  return stdout.split('\n').filter(Boolean);
}

const definitions = loadDefinitions(packageRoot);
const schemas = definitions.then((defs) => new Set(defs.map((d) => d.schema)));

describe('the layout', () => {
  it('puts every definition in the folder named after the schema it defines', async () => {
    const misplaced = (await definitions)
      .filter((d) => d.name !== `${d.kind}s/${d.schema}/${d.object}.sql`)
      .map((d) => `${d.name}: ${d.schema}.${d.object}`);
    expect(misplaced).toEqual([]);
  });

  it('keeps docs/architecture.md a one-page map: at most 1,500 words', async () => {
    const words = (await read('docs/architecture.md')).split(/\s+/).filter(Boolean).length;
    expect(words).toBeLessThanOrEqual(1500);
  });

  it("names every folder (two levels deep) and src/'s own files in the map of docs/architecture.md", async () => {
    const map = await read('docs/architecture.md');
    const named = new Set([...map.matchAll(/`([^`\s]+)`/g)].map((m) => m[1]!.replace(/\/$/, '')));
    const known = await schemas;
    const files = await projectFiles();
    const folders = new Set(
      files.filter((f) => f.includes('/') && !f.startsWith('.')).map((f) => f.split('/').slice(0, -1).slice(0, 2).join('/')),
    );
    const missing = [
      ...[...folders].filter(
        (f) => !named.has(f) && !named.has(f.split('/')[0]!.concat('/')) && !(f.startsWith('tests/') && known.has(f.slice(6))),
      ),
      ...files.filter((f) => /^src\/[^/]+$/.test(f) && !named.has(f)),
    ];
    expect(missing).toEqual([]);
  });

  it('names each test of one SQL object after it: tests/<schema>/<object>.sql or .test.ts', async () => {
    const objects = new Set((await definitions).map((d) => `${d.schema}/${d.object}`));
    const known = await schemas;
    const orphans = (await projectFiles()).filter((f) => {
      const [top, schema, file] = f.split('/');
      if (top !== 'tests' || !schema || !known.has(schema) || !file) return false;
      return !objects.has(`${schema}/${file.replace(/(\.test\.ts|\.sql)$/, '')}`);
    });
    expect(orphans).toEqual([]);
  });

  it('gives every public function its tests, its comment on, its reference entry and its client export', async () => {
    const files = new Set(await projectFiles());
    const reference = new Set([...(await read('docs/api.md')).matchAll(/^### (\S+)(?: \(procedure\))?$/gm)].map((m) => m[1]));
    const client = await read('src/generated/client.ts');
    const lacking = (await definitions)
      .filter((d) => d.kind === 'function' && d.schema === 'public')
      .flatMap((d) => {
        const procedure = /\bcreate\s+(or\s+replace\s+)?procedure\b/i.test(d.sql);
        const kind = procedure ? 'procedure' : 'function';
        return [
          !files.has(`tests/public/${d.object}.sql`) &&
            !files.has(`tests/public/${d.object}.test.ts`) &&
            `${d.object}: no tests/public/${d.object}.sql or .test.ts`,
          !new RegExp(`comment on ${kind} public\\.${d.object}\\(`, 'i').test(d.sql) && `${d.object}: no comment on ${kind}`,
          !reference.has(d.object) && `${d.object}: no entry in docs/api.md`,
          // procedures commit between batches: not callable inside an application's transaction, not in the client
          !procedure &&
            !new RegExp(`export function ${camel(d.object)}\\(`).test(client) &&
            `${d.object}: no ${camel(d.object)} in the client`,
        ].filter(Boolean);
      });
    expect(lacking).toEqual([]);
  });

  it('has documentation whose relative links reach a file, and their anchors a heading', async () => {
    const docs = [
      'README.md',
      'CONTRIBUTING.md',
      'CHANGELOG.md',
      ...(await readdir(path.join(packageRoot, 'docs'))).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`),
    ];
    const slug = (heading: string) =>
      heading
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-');
    const anchors = new Map<string, Set<string>>();
    const anchorsOf = async (file: string) => {
      if (!anchors.has(file)) {
        const text = await readFile(path.join(packageRoot, file), 'utf8');
        const headings = [...text.replace(/```[\s\S]*?```/g, '').matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!.replace(/`/g, '')));
        anchors.set(file, new Set(headings));
      }
      return anchors.get(file)!;
    };
    const broken: string[] = [];
    for (const doc of docs) {
      const text = (await readFile(path.join(packageRoot, doc), 'utf8')).replace(/```[\s\S]*?```/g, '');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^(https?:|mailto:)/.test(target!)) continue;
        const [file, anchor] = target!.split('#') as [string, string | undefined];
        const resolved = file ? path.posix.normalize(path.posix.join(path.posix.dirname(doc), file)) : doc;
        const exists = await readFile(path.join(packageRoot, resolved)).then(
          () => true,
          () =>
            readdir(path.join(packageRoot, resolved)).then(
              () => true,
              () => false,
            ),
        );
        if (!exists) broken.push(`${doc}: ${target} (no such file)`);
        else if (anchor && resolved.endsWith('.md') && !(await anchorsOf(resolved)).has(anchor))
          broken.push(`${doc}: ${target} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });
});
