// The credits CLI before it reaches a database (issue 9 §2): usage errors (exit 2) caught before
// connecting, per-command help, --version, and a connect timeout against a server that never
// answers. Nothing here depends on the PostgreSQL version, so it runs once (vitest.config.ts);
// tests/cli-operator.test.ts runs what does on both servers.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../src/paths.js';
import { cliCommand, requireBuiltCli, runCli } from './helpers/cli.js';

const exec = promisify(execFile);
const version = (JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;

/** A server that accepts TCP connections and never says a word; counts them. */
async function silentServer() {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `postgres://operator:s3cret@127.0.0.1:${port}/ledger`,
    port,
    connections: () => connections,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('usage errors: exit 2, the argument named, nothing connected', () => {
  let server: Awaited<ReturnType<typeof silentServer>>;
  beforeAll(async () => {
    server = await silentServer();
  });
  afterAll(() => server.close());

  it.each([
    [['allocate-monthly-credits', '--period', '2026-13-01'], '--period'],
    [['allocate-monthly-credits', '--period', '2026-12-02'], '--period'],
    [['balance', 'not-a-uuid'], '<user-id>'],
    [['balance'], '<user-id>'],
    [['expire-stale-generations', '--older-than', 'banana'], '--older-than'],
    [['expire-stale-generations', '--older-than', '30 fortnights'], '--older-than'],
    [['expire-stale-generations', '--older-than', '0 minutes'], '--older-than'],
    [['expire-stale-generations', '--limit', '0'], '--limit'],
    [['expire-stale-generations', '--limit', '100001'], '--limit'],
    [['expire-stale-generations', '--limit', 'ten'], '--limit'],
    [['expire-stale-generations', '--limit'], '--limit'],
    [['refunds', 'backfill', '--apply', '--batch-size', '-5'], '--batch-size'],
    [['refunds', 'backfill', '--batch-size', '100'], '--batch-size'],
    [['status', '--apply', '--period', '2020-01-01'], '--apply'],
    [['dashboard', '--older-than', '1 hour'], '--older-than'],
    [['status', '--json=yes'], '--json'],
    [['migrate', 'up', 'x'], 'N'],
    [['migrate', 'sideways'], 'sideways'],
    [['status', '--database-url', 'not-a-url'], '--database-url'],
    [['status', '--connect-timeout', 'soon'], '--connect-timeout'],
  ])('credits %j names %s', async (args, named) => {
    const result = await runCli(args, { DATABASE_URL: server.url });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(named);
    expect(result.stderr).toContain('Usage: credits');
    expect(result.stdout).toBe('');
    expect(server.connections()).toBe(0);
  });

  it('names DATABASE_URL when the environment holds no connection string, and asks for one when it is missing', async () => {
    const bad = await runCli(['status'], { DATABASE_URL: 'not-a-url' });
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('DATABASE_URL') });
    const missing = await runCli(['status'], { DATABASE_URL: undefined });
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining('--database-url') });
    const badTimeout = await runCli(['status'], { DATABASE_URL: server.url, PGCONNECT_TIMEOUT: 'x' });
    expect(badTimeout).toMatchObject({ code: 2, stderr: expect.stringContaining('PGCONNECT_TIMEOUT') });
    expect(server.connections()).toBe(0);
  });
});

describe('help and version', () => {
  it("prints a command's help for `credits <command> --help` and `credits help <command>`", async () => {
    const flag = await runCli(['expire-stale-generations', '--help'], { DATABASE_URL: undefined });
    expect(flag.code).toBe(0);
    expect(flag.stdout).toMatch(/^Usage: credits expire-stale-generations \[--older-than INTERVAL\] \[--limit N\]/);
    expect(flag.stdout).not.toContain('allocate-monthly-credits'); // not the global usage
    expect(await runCli(['help', 'expire-stale-generations'], { DATABASE_URL: undefined })).toEqual(flag);
  });

  it("prints a group's help and a sub-command's help", async () => {
    const group = await runCli(['migrate', '--help']);
    expect(group).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Usage: credits migrate <up\|down\|status\|adopt>/) });
    expect(group.stdout).toContain('migrate adopt');
    const up = await runCli(['migrate', 'up', '--help']);
    expect(up).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Usage: credits migrate up \[N\]/) });
    expect(await runCli(['help', 'refunds', 'backfill'])).toMatchObject({ code: 0, stdout: expect.stringContaining('--batch-size N') });
  });

  it('prints the package version for --version and -v', async () => {
    expect(await runCli(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    expect(await runCli(['-v'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });
});

describe('a server that accepts TCP and never answers', () => {
  let server: Awaited<ReturnType<typeof silentServer>>;
  beforeAll(async () => {
    server = await silentServer();
  });
  afterAll(() => server.close());

  it.each([
    [['status', '--connect-timeout', '1'], {}],
    [['migrate', 'up', '--connect-timeout', '1'], {}],
    [['balance', '00000000-0000-0000-0000-000000000000'], { PGCONNECT_TIMEOUT: '1' }],
  ])('credits %j gives up after the timeout with exit 1, naming the server without its password', async (args, env) => {
    const started = Date.now();
    const result = await runCli(args, { DATABASE_URL: server.url, ...env });
    const seconds = (Date.now() - started) / 1000;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`127.0.0.1:${server.port}/ledger`);
    expect(result.stderr).not.toContain('s3cret');
    expect(seconds).toBeLessThan(9); // 1 s of timeout plus the start-up of node on a busy machine; the default is 10 s
    expect(server.connections()).toBeGreaterThan(0);
  });

  it('names the server it cannot reach (a closed port), exit 1', async () => {
    const closed = await silentServer();
    await closed.close();
    const result = await runCli(['status'], { DATABASE_URL: closed.url });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`cannot reach operator@127.0.0.1:${closed.port}/ledger`);
    expect(result.stderr).not.toContain('s3cret');
  });

  it.skipIf(!existsSync('/usr/bin/script'))('says where it connects when stderr is a terminal', async () => {
    // script(1) gives the CLI a pseudo-terminal; its output is the terminal's.
    requireBuiltCli();
    const command = [...cliCommand, 'status', '--connect-timeout', '1'].map((a) => `'${a}'`).join(' ');
    const { stdout } = await exec('script', ['-qec', command, '/dev/null'], { env: { ...process.env, DATABASE_URL: server.url } }).catch(
      (e: { stdout: string }) => e,
    );
    expect(stdout).toContain(`connecting to operator@127.0.0.1:${server.port}/ledger`);
    expect(stdout).not.toContain('s3cret');
  });
});
