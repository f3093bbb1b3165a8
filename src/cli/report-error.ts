// How a failure reads on stderr: the message, SQLSTATE, DETAIL and HINT from the server, or a
// plain sentence for what operators meet most (no answer, no schema yet).
import type { Flags } from './context.js';
import { commands } from './registry.js';
import { optionUses } from './spec.js';
import { describeTarget } from './validate.js';

/** The database has no credits schema (yet): a table, function or schema the command needs is missing. */
const notMigrated = new Set(['42P01', '42883', '3F000']);

/** The server could not be reached at all (the driver's network errors). */
const unreachable = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNRESET']);

/** The typed client's (and reconcileGenerations') keys whose option has another name here; the others are their kebab-case. */
const optionOf: Record<string, string> = {
  idempotencyKey: 'key',
  periodStart: 'period',
  olderThanSeconds: 'older-than',
  hardLimitSeconds: 'hard-limit',
  leaseSeconds: 'lease',
};

/**
 * The option or argument of `command` a refused argument came from (the typed client's
 * InvalidArgumentError.parameter, e.g. validFor → --valid-for, credits → <credits>).
 */
function flagOf(parameter: string | undefined, command: string): string | undefined {
  const spec = commands.find((c) => c.name === command);
  if (!parameter || !spec) return undefined;
  const name = optionOf[parameter] ?? parameter.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  if (optionUses(spec).some((u) => u.name === name)) return `--${name}`;
  return spec.arguments.some((a) => a.name === name) ? `<${name}>` : undefined;
}

export function reportError(error: unknown, command: string, flags: Flags | undefined): void {
  const e = error as { message?: string; detail?: string; hint?: string; code?: string; parameter?: string };
  // A refusal of what the operator typed names it as typed (--valid-for), not as the client's key.
  const flag = flagOf(e.parameter, command);
  const said = flag && e.message ? e.message.replace(new RegExp(`\\b${e.parameter}\\b`), flag) : e.message;
  const write = (line: string) => process.stderr.write(`${line}\n`);
  if (e.code === 'CONNECT_TIMEOUT' && flags) {
    write(`credits: ${describeTarget(flags.databaseUrl)} did not answer within ${flags.connectTimeout} s (connect timeout)`);
    write('  hint: check the host and port; a slow network may need --connect-timeout SECONDS (or PGCONNECT_TIMEOUT)');
    return;
  }
  if (e.code && unreachable.has(e.code) && flags) {
    write(`credits: cannot reach ${describeTarget(flags.databaseUrl)}: ${said ?? e.code}`);
    return;
  }
  const message = `${said ?? String(error)}${e.code && !e.code.startsWith('ERR_') ? ` (${e.code})` : ''}`;
  if (e.code && notMigrated.has(e.code) && !command.startsWith('migrate ')) {
    write('credits: this database is not migrated (or not up to date): run `credits migrate up` first');
    write(`  cause: ${message}`);
    return;
  }
  write(`credits: ${message}`);
  if (e.detail) write(`  detail: ${e.detail.replaceAll('\n', '\n          ')}`);
  if (e.hint) write(`  hint: ${e.hint}`);
  if (e.code === '42P07') write('  hint: the tables already exist: an existing database is adopted with "credits migrate adopt" first');
}
