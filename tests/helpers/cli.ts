// Runs the credits CLI as an operator does: a child process, through tsx, with its own env.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from '../../src/paths.js';

const exec = promisify(execFile);
export const tsx = path.join(packageRoot, 'node_modules/.bin/tsx');
export const cliPath = path.join(packageRoot, 'src/cli.ts');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `credits ...args` with `env` on top of this process's environment (undefined removes a variable). */
export async function runCli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  const merged = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete merged[k];
  try {
    const { stdout, stderr } = await exec(tsx, [cliPath, ...args], { env: merged });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
