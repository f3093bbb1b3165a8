// Runs every pgTAP file under tests/ (tests/<schema>/<object>.sql, an object's tests;
// tests/rules/<rule>.sql, a rule across objects) with psql, each in its own clone of the template,
// and fails on any "not ok", on a plan that was not met, or on an error that stopped the file.
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/db.js';

const run = promisify(execFile);
const packageRoot = path.dirname(import.meta.dirname);

/** Every .sql file under tests/, as its path from the package root (tests/public/x.sql), sorted. */
function sqlFiles(dir: string): string[] {
  return readdirSync(path.join(packageRoot, dir), { withFileTypes: true }).flatMap((entry) => {
    const file = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name.startsWith('.') ? [] : sqlFiles(file);
    return entry.isFile() && entry.name.endsWith('.sql') ? [file] : [];
  });
}
const files = sqlFiles('tests').sort();

interface TapResult {
  planned: number;
  passed: number;
  failures: string[];
}

function parseTap(output: string): TapResult {
  const lines = output.split('\n');
  const plan = lines.map((l) => /^1\.\.(\d+)$/.exec(l.trim())).find(Boolean);
  const failures: string[] = [];
  let passed = 0;
  lines.forEach((line, i) => {
    if (/^ok \d+/.test(line)) passed++;
    if (/^not ok \d+/.test(line)) {
      const diagnostics = lines.slice(i + 1).filter((l, j, all) => l.startsWith('#') && all.slice(0, j).every((p) => p.startsWith('#')));
      failures.push([line, ...diagnostics].join('\n'));
    }
  });
  return { planned: plan ? Number(plan[1]) : -1, passed, failures };
}

describe('pgTAP', () => {
  it('finds the pgTAP files', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  const databases: TestDatabase[] = [];
  afterAll(async () => {
    await Promise.all(databases.map((d) => d.drop()));
  });

  it.each(files)('%s', async (file) => {
    const db = await createTestDatabase({ max: 1 });
    databases.push(db);
    let output: string;
    try {
      const result = await run('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', db.url, '-f', path.join(packageRoot, file)]);
      output = result.stdout;
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string };
      throw new Error(`${file} stopped:\n${e.stderr ?? ''}\n${parseTap(e.stdout ?? '').failures.join('\n')}`);
    }
    const tap = parseTap(output);
    expect(tap.failures).toEqual([]);
    expect(tap.planned).toBeGreaterThan(0);
    expect(tap.passed).toBe(tap.planned);
  });
});
