// The first step of `npm test`: what the suite needs from the machine, set up when it can be.
// - the PostgreSQL server at TEST_ADMIN_URL (default: the machine's, 127.0.0.1:5432), started
//   with pg_ctlcluster when it is local and down;
// - the server extensions pgTAP and plpgsql_check, installed from Debian's packages
//   (postgresql-<major>-pgtap, postgresql-<major>-plpgsql-check);
// - a headless Chromium for the dashboard page's tests: Debian's chromium package (/usr/bin/chromium,
//   or CHROMIUM_PATH), driven by playwright-core, which downloads no browser;
// - the Supabase CLI, pinned (its `db lint` is part of the suite: tests/supabase-lint.test.ts),
//   installed from npm into node_modules/.cache/supabase-cli rather than as a devDependency: it
//   weighs 136 MB, which an install from git (whose `prepare` needs the devDependencies) would
//   otherwise download for every user.
// As root on a local server it does all of it; otherwise it stops at once with the command to run.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import postgres from 'postgres';

const adminUrl = process.env.TEST_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const host = new URL(adminUrl).hostname;
const local = ['127.0.0.1', 'localhost', '[::1]', '::1', ''].includes(host);
const asRoot = process.getuid?.() === 0;
const extensions = ['pgtap', 'plpgsql_check'];

function stop(message: string): never {
  console.error(`npm test: ${message}`);
  process.exit(1);
}

async function serverInfo(): Promise<{ major: number; available: string[] } | undefined> {
  const sql = postgres(adminUrl, { max: 1, connect_timeout: 5, onnotice: () => {} });
  try {
    const [row] = await sql<{ major: number; available: string[] }[]>`
      select current_setting('server_version_num')::int / 10000 as major,
             coalesce(array_agg(name::text) filter (where name = any(${extensions})), '{}') as available
        from pg_available_extensions`;
    return row;
  } catch {
    return undefined;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** The machine's server (the default URL only): the newest cluster Debian's postgresql-common knows of. */
function startLocalCluster(): boolean {
  if (process.env.TEST_ADMIN_URL || !asRoot || !existsSync('/etc/postgresql')) return false;
  const version = readdirSync('/etc/postgresql')
    .sort((a, b) => Number(a) - Number(b))
    .at(-1);
  if (!version) return false;
  console.log(`npm test: starting PostgreSQL ${version} (pg_ctlcluster ${version} main start)`);
  try {
    execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start'], { stdio: 'inherit' });
    return true;
  } catch {
    return false;
  }
}

function installChromium() {
  const browser = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (existsSync(browser)) return;
  const command = 'apt-get update && apt-get install -y chromium';
  if (process.env.CHROMIUM_PATH || !asRoot || !existsSync('/usr/bin/apt-get')) {
    stop(`the dashboard page's tests need a Chromium at ${browser}. On Debian, as root: ${command} (or set CHROMIUM_PATH to one)`);
  }
  console.log(`npm test: installing Chromium for the page tests (${command})`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  if (!existsSync(browser)) stop(`installed chromium but ${browser} is still missing`);
}

const supabaseCli = { version: '2.117.0', dir: 'node_modules/.cache/supabase-cli' };

function installSupabaseCli() {
  const manifest = `${supabaseCli.dir}/node_modules/supabase/package.json`;
  if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).version === supabaseCli.version) return;
  console.log(`npm test: installing the Supabase CLI ${supabaseCli.version} for its linter (into ${supabaseCli.dir})`);
  execFileSync(
    'npm',
    ['install', '--prefix', supabaseCli.dir, '--no-save', '--no-audit', '--no-fund', '--loglevel=error', `supabase@${supabaseCli.version}`],
    { stdio: 'inherit' },
  );
}

async function main() {
  let info = await serverInfo();
  if (!info && startLocalCluster()) {
    for (let i = 0; i < 30 && !info; i++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      info = await serverInfo();
    }
  }
  if (!info) {
    stop(
      `no PostgreSQL answers at ${adminUrl.replace(/:[^:@/]*@/, ':***@')}. Start it (on Debian: pg_ctlcluster <version> main start), or point TEST_ADMIN_URL at a server where this role may create databases.`,
    );
  }

  installChromium();
  installSupabaseCli();
  const missing = extensions.filter((name) => !info.available.includes(name));
  if (missing.length === 0) return;
  const packages = missing.map((name) => `postgresql-${info.major}-${name.replace('_', '-')}`);
  const command = `apt-get update && apt-get install -y ${packages.join(' ')}`;
  if (!local || !asRoot || !existsSync('/usr/bin/apt-get')) {
    stop(
      `the server lacks the extension${missing.length > 1 ? 's' : ''} ${missing.join(', ')} the suite needs. On Debian, as root: ${command}`,
    );
  }
  console.log(`npm test: installing ${packages.join(', ')} (${command})`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', ...packages], { stdio: ['ignore', 'ignore', 'inherit'], env });
  const after = await serverInfo();
  const still = extensions.filter((name) => !after?.available.includes(name));
  if (still.length) stop(`installed ${packages.join(', ')} but the server still lacks ${still.join(', ')}`);
}

await main();
