#!/usr/bin/env node
// `credits`: the operator's command line. Each command connects with DATABASE_URL (or
// --database-url), prints a readable summary (or JSON with --json) and exits 0 on success,
// 1 on a refused or failed operation, 2 on a usage error.
import { parseArgs } from 'node:util';
import { requireDatabaseUrl } from './db/url.js';
import { adoptBaseline, migrateDown, migrateUp, migrationStatus } from './migrate/index.js';

const usage = `Usage: credits <command> [options]

Commands:
  migrate up [N]       run pending migrations (N at most), then apply changed functions and views
  migrate down [N]     roll back the last N migrations (default 1)
  migrate status       applied and pending migrations, functions and views that would change
  migrate adopt        mark the legacy baseline (0001) as applied on an existing production database

Options:
  --database-url URL   connection string (default: DATABASE_URL)
  --json               machine-readable output
  -h, --help           this help
`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'database-url': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, sub, arg] = positionals;
  if (values.help || !command) {
    process.stdout.write(usage);
    return values.help ? 0 : 2;
  }
  const json = values.json;
  const log = json ? undefined : (line: string) => console.log(line);
  const print = (result: unknown, text: () => void) => (json ? console.log(JSON.stringify(result, null, 2)) : text());

  if (command === 'migrate') {
    const databaseUrl = requireDatabaseUrl(values['database-url']);
    const count = arg === undefined ? undefined : Number(arg);
    if (count !== undefined && !(Number.isInteger(count) && count > 0)) throw new UsageError(`N must be a positive whole number, got ${arg}`);
    switch (sub) {
      case 'up': {
        const result = await migrateUp({ databaseUrl, count, log });
        print(result, () => console.log(result.migrations.length === 0 && !result.definitions?.changed.length ? 'up to date' : 'done'));
        return 0;
      }
      case 'down': {
        const result = await migrateDown({ databaseUrl, count, log });
        print(result, () => console.log(result.migrations.length === 0 ? 'nothing to roll back' : 'done'));
        return 0;
      }
      case 'status': {
        const s = await migrationStatus({ databaseUrl });
        print(
          { applied: s.applied, pending: s.pending, changed: s.definitions.changed.map((d) => d.name), removed: s.definitions.removed.map((d) => d.name) },
          () => {
            console.log(`migrations applied: ${s.applied.length ? s.applied.join(', ') : 'none'}`);
            console.log(`migrations pending: ${s.pending.length ? s.pending.join(', ') : 'none'}`);
            console.log(`functions/views to apply: ${s.definitions.changed.length ? s.definitions.changed.map((d) => d.name).join(', ') : 'none'}`);
            console.log(`functions/views to drop: ${s.definitions.removed.length ? s.definitions.removed.map((d) => d.name).join(', ') : 'none'}`);
          },
        );
        return 0;
      }
      case 'adopt':
        await adoptBaseline({ databaseUrl, log });
        print({ adopted: true }, () => console.log('next: credits migrate up'));
        return 0;
      default:
        throw new UsageError(`unknown migrate command: ${sub ?? '(none)'}`);
    }
  }
  throw new UsageError(`unknown command: ${command}`);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError || (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      console.error(`credits: ${(error as Error).message}\n\n${usage}`);
      process.exit(2);
    }
    const e = error as { message?: string; detail?: string; hint?: string; code?: string };
    console.error(`credits: ${e.message ?? String(error)}`);
    if (e.detail) console.error(`  detail: ${e.detail}`);
    if (e.hint) console.error(`  hint: ${e.hint}`);
    if (e.code === '42P07') console.error('  hint: the tables already exist: an existing database is adopted with "credits migrate adopt" first');
    process.exit(1);
  },
);
