#!/usr/bin/env node
// `credits`: the operator's command line. Every command connects with --database-url or
// DATABASE_URL, prints a readable summary (JSON with --json) and exits 0 on success, 1 on a
// refused or failed operation, 2 on a usage error.
import { parseArgs } from 'node:util';
import { cleanupCommand } from './cli/cleanup-command.js';
import { createContext, UsageError, type CommandContext } from './cli/context.js';
import { dashboardCommand } from './cli/dashboard-command.js';
import { allocateCommand, balanceCommand, statusCommand, sweepCommand } from './cli/ledger-commands.js';
import { migrateCommand } from './cli/migrate-command.js';
import { refundsCommand } from './cli/refunds-command.js';

const usage = `Usage: credits <command> [options]

Commands:
  status                    connection, migrations, functions to apply, ledger soundness (exit 1 if not all fine)
  sweep                     fail and refund generations stuck longer than --older-than (default 30 minutes)
  allocate                  start the monthly period for every account (this month, or --period YYYY-MM-01)
  balance <user-id>         an account's balance, buckets, tier and period
  migrate up [N]            run pending migrations (N at most), then apply changed functions and views
  migrate down [N]          roll back the last N migrations (default 1); never the legacy baseline
  migrate status            applied and pending migrations, functions and views a deploy would change
  migrate adopt             record the legacy baseline as applied on an existing production database
  cleanup check             pre-flight of the pool cleanup: rows to archive, objects still depending
  refunds audit             failed tasks never refunded: totals and the users owed most
  refunds backfill          dry run of the refund backfill (writes nothing)
  refunds backfill --apply  refund them, in batches, with progress (run as the package owner)
  dashboard [--refresh]     today's health and the daily, weekly and monthly tables (exit 1 on an alert)

Options:
  --database-url URL        connection string (default: DATABASE_URL)
  --json                    machine-readable output
  --batch-size N            tasks per transaction for refunds backfill --apply (default 500)
  --refresh                 dashboard: refresh the monitoring rollups first
  --older-than INTERVAL     sweep: how long a task may stay in flight (default '30 minutes')
  --limit N                 sweep: tasks per batch (default 1000)
  --period YYYY-MM-01       allocate: the period to start (default: this month, UTC)
  -h, --help                this help

Exit codes: 0 done, 1 refused or failed, 2 usage error.
`;

const commands: Record<string, (ctx: CommandContext) => Promise<number>> = {
  status: statusCommand,
  sweep: sweepCommand,
  allocate: allocateCommand,
  balance: balanceCommand,
  migrate: migrateCommand,
  cleanup: cleanupCommand,
  refunds: refundsCommand,
  dashboard: dashboardCommand,
};

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'database-url': { type: 'string' },
      json: { type: 'boolean', default: false },
      apply: { type: 'boolean', default: false },
      refresh: { type: 'boolean', default: false },
      'batch-size': { type: 'string' },
      'older-than': { type: 'string' },
      limit: { type: 'string' },
      period: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [name, ...args] = positionals;
  if (values.help || !name) {
    process.stdout.write(usage);
    return values.help ? 0 : 2;
  }
  const command = commands[name];
  if (!command) throw new UsageError(`unknown command: ${name}`);
  const positive = (flag: string, value: string | undefined) => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!(Number.isInteger(n) && n > 0)) throw new UsageError(`--${flag} takes a positive whole number`);
    return n;
  };
  return command(createContext(args, {
    databaseUrl: values['database-url'],
    json: values.json,
    apply: values.apply,
    refresh: values.refresh,
    batchSize: positive('batch-size', values['batch-size']),
    limit: positive('limit', values.limit),
    olderThan: values['older-than'],
    period: values.period,
  }));
}

// `credits refunds audit | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const e = error as { message?: string; detail?: string; hint?: string; code?: string };
    if (error instanceof UsageError || e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      console.error(`credits: ${e.message}\n\n${usage}`);
      process.exit(2);
    }
    console.error(`credits: ${e.message ?? String(error)}${e.code && !e.code.startsWith('ERR_') ? ` (${e.code})` : ''}`);
    if (e.detail) console.error(`  detail: ${e.detail.replaceAll('\n', '\n          ')}`);
    if (e.hint) console.error(`  hint: ${e.hint}`);
    if (e.code === '42P07') console.error('  hint: the tables already exist: an existing database is adopted with "credits migrate adopt" first');
    process.exit(1);
  },
);
