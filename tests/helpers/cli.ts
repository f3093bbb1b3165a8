// Runs the credits CLI as an operator does: a child process running the built package
// (dist/cli.js, what `npx credits` runs), with its own env. npm test builds it before Vitest
// starts; a dist/ older than src/ is refused, with the command that rebuilds it.
import { execFile } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from '../../src/paths.js';

const exec = promisify(execFile);
const built = path.join(packageRoot, 'dist/cli.js');

/** The command line that runs `credits`: node and the built CLI. */
export const cliCommand: [string, string] = [process.execPath, built];

let checked = false;
/** Throws when dist/ is missing or older than a file of src/: the tests would run yesterday's CLI. */
export function requireBuiltCli(): void {
  if (checked) return;
  const builtAt = statSync(built, { throwIfNoEntry: false })?.mtimeMs;
  const newer = readdirSync(path.join(packageRoot, 'src'), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.join(e.parentPath, e.name))
    .filter((file) => builtAt === undefined || statSync(file).mtimeMs > builtAt);
  if (newer.length > 0) {
    throw new Error(
      `dist/ is ${builtAt === undefined ? 'missing' : `older than ${path.relative(packageRoot, newer[0]!)}`}: run npm run build (npm test does)`,
    );
  }
  checked = true;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `credits ...args` with `env` on top of this process's environment (undefined removes a variable). */
export async function runCli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  requireBuiltCli();
  const merged = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete merged[k];
  try {
    const { stdout, stderr } = await exec(cliCommand[0], [cliCommand[1], ...args], { env: merged });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
