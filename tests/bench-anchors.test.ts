// The benchmark's yardsticks run unchanged: the straightforward lifecycle and pgledger are held to
// pinned hashes (tools/bench/anchors.ts), and a changed or missing pgledger is reported, not run.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pgledgerDir, pgledgerFiles, readPgledger, sha256, straightforwardFile, straightforwardSha256 } from '../tools/bench/anchors.js';

describe('the benchmark yardsticks', () => {
  it('runs the straightforward lifecycle unchanged', async () => {
    expect(sha256(await readFile(straightforwardFile, 'utf8'))).toBe(straightforwardSha256);
  });

  it('loads pgledger only as pinned: a changed file or a missing folder is a reason, not a run', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pgledger-'));
    try {
      expect(await readPgledger(path.join(dir, 'absent'))).toMatchObject({ found: false, reason: expect.stringContaining('no folder') });
      for (const file of pgledgerFiles) await writeFile(path.join(dir, file.name), '-- not pgledger\n');
      expect(await readPgledger(dir)).toMatchObject({ found: false, reason: expect.stringContaining('not the pinned version') });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    // where the anchors are (this project's machine), they are the pinned version
    const anchors = await readPgledger();
    if (existsSync(pgledgerDir())) expect(anchors).toMatchObject({ found: true });
    else expect(anchors).toMatchObject({ found: false, reason: expect.stringContaining(pgledgerDir()) });
  });
});
