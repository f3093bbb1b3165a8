// `credits migrate up|down|status|adopt`: the deploy, through src/migrate (node-pg-migrate's own
// connections, opened once a connection with the timeout has shown the server answers).
import { adoptBaseline, migrateDown, migrateUp, migrationStatus } from '../migrate/index.js';
import type { DefinitionPlan } from '../migrate/definitions.js';
import type { CommandContext } from './context.js';
import { plural } from './format.js';

const count = (ctx: CommandContext) => (ctx.args[0] === undefined ? undefined : Number(ctx.args[0]));
const log = (ctx: CommandContext) => (ctx.flags.json ? undefined : (line: string) => console.log(line));

/** What migrate up did, in one line: migrations run, functions and views applied, privilege statements. */
export function upSummary(result: { migrations: string[]; definitions: DefinitionPlan | null }, privilegeStatements: number): string {
  const m = result.migrations;
  const d = result.definitions;
  const parts = [
    ...(m.length ? [`ran ${plural(m.length, 'migration', 'migrations')} (${m.length === 1 ? m[0] : `${m[0]} to ${m.at(-1)}`})`] : []),
    ...(d === null
      ? ['functions and views left as they are until the latest migration has run']
      : [
          ...(d.changed.length ? [`applied ${plural(d.changed.length, 'function or view', 'functions and views')}`] : []),
          ...(d.removed.length ? [`dropped ${plural(d.removed.length, 'function or view', 'functions and views')}`] : []),
        ]),
    ...(privilegeStatements ? [plural(privilegeStatements, 'privilege statement', 'privilege statements')] : []),
  ];
  return parts.length ? parts.join('; ') : 'up to date';
}

export async function migrateUpCommand(ctx: CommandContext): Promise<number> {
  // Each line the deploy logs is printed with --verbose only; the summary counts its privilege
  // statements (src/migrate/privileges.ts: the grants and revokes it ran).
  let privilegeStatements = 0;
  const detail = (line: string) => {
    if (/^(grant|revoke) /.test(line)) privilegeStatements++;
    if (ctx.flags.verbose && !ctx.flags.json) console.log(line);
  };
  const result = await migrateUp({ databaseUrl: await ctx.reachableDatabaseUrl(), count: count(ctx), log: detail });
  const d = result.definitions;
  // Names and hashes, never the definitions' SQL text.
  const report = {
    migrations: result.migrations,
    definitions: d && {
      changed: d.changed.map(({ name, kind, sha256 }) => ({ name, kind, sha256 })),
      removed: d.removed.map(({ name, kind }) => ({ name, kind })),
      unchanged: d.unchanged.length,
    },
  };
  ctx.print(report, () => {
    const summary = upSummary(result, privilegeStatements);
    console.log(ctx.flags.verbose || summary === 'up to date' ? summary : `${summary} (--verbose lists them)`);
  });
  return 0;
}

export async function migrateDownCommand(ctx: CommandContext): Promise<number> {
  const result = await migrateDown({ databaseUrl: await ctx.reachableDatabaseUrl(), count: count(ctx), log: log(ctx) });
  ctx.print(result, () => console.log(result.migrations.length === 0 ? 'nothing to roll back' : 'done'));
  return 0;
}

export async function migrateStatusCommand(ctx: CommandContext): Promise<number> {
  const s = await migrationStatus({ databaseUrl: await ctx.reachableDatabaseUrl() });
  const names = (list: { name: string }[]) => list.map((d) => d.name);
  ctx.print(
    { applied: s.applied, pending: s.pending, changed: names(s.definitions.changed), removed: names(s.definitions.removed) },
    () => {
      const list = (items: string[]) => (items.length ? items.join(', ') : 'none');
      console.log(`migrations applied: ${list(s.applied)}`);
      console.log(`migrations pending: ${list(s.pending)}`);
      console.log(`functions/views to apply: ${list(names(s.definitions.changed))}`);
      console.log(`functions/views to drop: ${list(names(s.definitions.removed))}`);
    },
  );
  return 0;
}

export async function migrateAdoptCommand(ctx: CommandContext): Promise<number> {
  await adoptBaseline({ databaseUrl: await ctx.reachableDatabaseUrl(), log: log(ctx) });
  ctx.print({ adopted: true }, () => console.log('next: credits migrate up'));
  return 0;
}
