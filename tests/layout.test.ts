// The layout stays the map: every source file is in docs/architecture.md's map, each folder of
// definitions holds the schema its place says, and the documentation's links lead somewhere.
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadDefinitions } from '../src/migrate/definitions.js';
import { packageRoot } from '../src/paths.js';

const run = promisify(execFile);
const sourceFolders = ['migrations', 'functions', 'views', 'src', 'scripts', 'seeds', 'tests', 'dashboard'];

/** The project's files (tracked, or new and not ignored), relative to the root. */
async function projectFiles(): Promise<string[]> {
  const { stdout } = await run('git', ['ls-files', '--cached', '--others', '--exclude-standard', ...sourceFolders], { cwd: packageRoot });
  return stdout.split('\n').filter(Boolean);
}

/**
 * A file is in the map when a row names its path, or names its folder (`functions/ledger/`,
 * `scripts/bench/`) in the first column and the file by its name anywhere in the row.
 */
function inMap(file: string, rows: string[]): boolean {
  const folder = `${path.posix.dirname(file)}/`;
  const name = path.posix
    .basename(file)
    .replace(/\.[^.]+$/, '')
    .replace(/\.test$/, '');
  return rows.some((row) => {
    if (row.includes(file)) return true;
    const first = row.split('|')[1] ?? '';
    const folders = [...first.matchAll(/`([^`]+\/)[^`/]*`/g)].map((m) => m[1]);
    return folders.includes(folder) && new RegExp(`\\b${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`).test(row);
  });
}

describe('the layout', () => {
  it('has every source file in the map of docs/architecture.md', async () => {
    const map = await readFile(path.join(packageRoot, 'docs/architecture.md'), 'utf8');
    const rows = map.split('\n').filter((l) => l.startsWith('| `'));
    const missing = (await projectFiles()).filter((f) => !inMap(f, rows));
    expect(missing).toEqual([]);
  });

  it("keeps each part's definitions in its schemas: private/ holds the part's private schema only", async () => {
    const privateSchema: Record<string, string> = {
      ledger: 'credits_private',
      provider: 'credits_private',
      monitoring: 'monitoring_private',
    };
    const misplaced = (await loadDefinitions(packageRoot))
      .filter((d) => {
        const [, part, sub] = d.name.split('/');
        if (sub === 'private') return d.schema !== privateSchema[part!];
        return !['public', 'monitoring'].includes(d.schema) || !(part! in privateSchema);
      })
      .map((d) => `${d.name}: ${d.schema}`);
    expect(misplaced).toEqual([]);
  });

  it('has documentation whose relative links reach a file, and their anchors a heading', async () => {
    const docs = ['README.md', ...(await readdir(path.join(packageRoot, 'docs'))).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
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
