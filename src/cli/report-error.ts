// How a failure reads on stderr: the message, SQLSTATE, DETAIL and HINT from the server, or a
// plain sentence for what operators meet most (no answer, no schema yet).
import type { Flags } from './context.js';
import { describeTarget } from './validate.js';

/** The database has no credits schema (yet): a table, function or schema the command needs is missing. */
const notMigrated = new Set(['42P01', '42883', '3F000']);

/** The server could not be reached at all (the driver's network errors). */
const unreachable = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNRESET']);

export function reportError(error: unknown, command: string, flags: Flags | undefined): void {
  const e = error as { message?: string; detail?: string; hint?: string; code?: string };
  const write = (line: string) => process.stderr.write(`${line}\n`);
  if (e.code === 'CONNECT_TIMEOUT' && flags) {
    write(`credits: ${describeTarget(flags.databaseUrl)} did not answer within ${flags.connectTimeout} s (connect timeout)`);
    write('  hint: check the host and port; a slow network may need --connect-timeout SECONDS (or PGCONNECT_TIMEOUT)');
    return;
  }
  if (e.code && unreachable.has(e.code) && flags) {
    write(`credits: cannot reach ${describeTarget(flags.databaseUrl)}: ${e.message ?? e.code}`);
    return;
  }
  const message = `${e.message ?? String(error)}${e.code && !e.code.startsWith('ERR_') ? ` (${e.code})` : ''}`;
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
