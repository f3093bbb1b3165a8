import { adoptBaseline, migrateDown, migrateUp, migrationStatus } from '../migrate/index.js';
import { UsageError, type CommandContext } from './context.js';

export async function migrateCommand(ctx: CommandContext): Promise<number> {
  const [sub, arg] = ctx.args;
  const databaseUrl = ctx.databaseUrl();
  const count = arg === undefined ? undefined : Number(arg);
  if (count !== undefined && !(Number.isInteger(count) && count > 0)) throw new UsageError(`N must be a positive whole number, got ${arg}`);
  const log = ctx.flags.json ? undefined : (line: string) => console.log(line);
  switch (sub) {
    case 'up': {
      const result = await migrateUp({ databaseUrl, count, log });
      ctx.print(result, () => console.log(result.migrations.length === 0 && !result.definitions?.changed.length ? 'up to date' : 'done'));
      return 0;
    }
    case 'down': {
      const result = await migrateDown({ databaseUrl, count, log });
      ctx.print(result, () => console.log(result.migrations.length === 0 ? 'nothing to roll back' : 'done'));
      return 0;
    }
    case 'status': {
      const s = await migrationStatus({ databaseUrl });
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
    case 'adopt':
      await adoptBaseline({ databaseUrl, log });
      ctx.print({ adopted: true }, () => console.log('next: credits migrate up'));
      return 0;
    default:
      throw new UsageError(`unknown migrate command: ${sub ?? '(none)'}`);
  }
}
