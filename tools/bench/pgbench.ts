// pgbench from the benchmarks: its tps, and optionally the latency of each script run.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { pgbenchScripts } from './fixture.js';

const run = promisify(execFile);

/**
 * pgbench's arguments for a script of tools/bench/pgbench/ (prepared statements): `clients`
 * connections (-j up to 2) over accounts 1…`users`, for `seconds` or `transactions` each.
 */
export function scriptArgs(
  name: string,
  at: { clients: number; users: number } & ({ seconds: number } | { transactions: number }),
): string[] {
  const length = 'seconds' in at ? ['-T', String(at.seconds)] : ['-t', String(at.transactions)];
  return [
    '-n',
    '-M',
    'prepared',
    '-f',
    path.join(pgbenchScripts, `${name}.sql`),
    '-D',
    `users=${at.users}`,
    '-c',
    String(at.clients),
    '-j',
    String(Math.min(at.clients, 2)),
    ...length,
  ];
}

export async function pgbench(url: string, args: string[], options: { env?: NodeJS.ProcessEnv } = {}): Promise<number> {
  return (await pgbenchRun(url, args, options)).tps;
}

export interface Run {
  tps: number;
  /** Latency of each script run (a whole lifecycle), in ms; only when asked for. */
  latencies: number[];
}

/** pgbench with `args` against `url`, optionally logging each script run's latency. */
export async function pgbenchRun(
  url: string,
  args: string[],
  options: { latencies?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<Run> {
  const logs = options.latencies ? await mkdtemp(path.join(tmpdir(), 'credits-bench-')) : undefined;
  try {
    const log = logs ? ['-l', `--log-prefix=${path.join(logs, 'run')}`] : [];
    const { stdout } = await run('pgbench', [...args, ...log, url], {
      maxBuffer: 1 << 24,
      env: { ...process.env, ...options.env },
    });
    const tps = /tps = ([\d.]+) \((?:without initial connection time|excluding connections establishing)\)/.exec(stdout);
    if (!tps) throw new Error(`pgbench printed no tps:\n${stdout}`);
    const latencies: number[] = [];
    for (const file of logs ? await readdir(logs) : []) {
      // each line: client, transaction number, latency in µs, script, epoch s, µs
      for (const line of (await readFile(path.join(logs!, file), 'utf8')).split('\n'))
        if (line) latencies.push(Number(line.split(' ')[2]) / 1000);
    }
    return { tps: Number(tps[1]), latencies };
  } finally {
    if (logs) await rm(logs, { recursive: true, force: true });
  }
}
