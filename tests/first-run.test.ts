// The README's main command from a checkout that other OS users cannot enter, as a new user runs
// it as root in a container (root's home is 0700 on Debian; so is `mktemp -d`). As root the
// embedded server runs as the OS user `postgres`, which once could not reach the binaries inside
// node_modules (`spawn …/initdb EACCES`). Only root meets this, so the test runs as root (as CI does).
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../src/paths.js';

const run = promisify(execFile);
const asRoot = process.getuid?.() === 0;
let parent: string;
let checkout: string;

/** The working tree's files (tracked and new, not ignored) and its node_modules, as a clone plus `npm install` would have them. */
async function copyCheckout(to: string) {
  const { stdout } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: packageRoot,
    maxBuffer: 1 << 24,
  });
  const files = stdout.split('\0').filter(Boolean);
  await run('cp', ['--parents', '-t', to, ...files], { cwd: packageRoot });
  // Hard links keep the copy instant; the modes are the originals', the folders above are not.
  await run('cp', ['-al', 'node_modules', to], { cwd: packageRoot }).catch(() =>
    run('cp', ['-a', 'node_modules', to], { cwd: packageRoot }),
  );
}

describe.runIf(asRoot)('first run as root from a folder only root can enter', () => {
  beforeAll(async () => {
    parent = await mkdtemp(path.join(tmpdir(), 'credits-first-run-'));
    checkout = path.join(parent, 'checkout');
    await run('mkdir', [checkout]);
    await copyCheckout(checkout);
  }, 120_000);
  afterAll(async () => {
    if (parent) await rm(parent, { recursive: true, force: true });
  });

  it('is a folder other users cannot enter', async () => {
    expect((await stat(parent)).mode & 0o077).toBe(0);
  });

  it('runs the main job (npm start) on the embedded server', async () => {
    const env = { ...process.env };
    delete env.DATABASE_URL;
    const { stdout } = await run('npm', ['start', '--silent'], { cwd: checkout, env, maxBuffer: 1 << 24 });
    expect(stdout).toContain('starting an embedded PostgreSQL');
    expect(stdout).toContain('sound: no invariant is violated');
  });

  it('runs the code generator on its embedded default', async () => {
    const env = { ...process.env };
    delete env.DATABASE_URL;
    const { stdout } = await run('npm', ['run', '--silent', 'codegen', '--', '--check'], { cwd: checkout, env });
    expect(stdout).toContain('up to date');
  });
});
