// The day-to-day commands: status, sweep, allocate, balance. Figures come from the typed client
// as JSON data (credits as numbers, money as decimal strings), serialised by json.ts.
import { migrationStatus } from '../migrate/index.js';
import * as client from '../generated/client.js';
import type { CommandContext } from './context.js';
import { formatRecord, formatTable, plural } from './format.js';
import { limits } from './spec.js';

/** `credits status`: connection, migrations, pending definitions, ledger soundness. Exit 1 when something needs doing. */
export async function statusCommand(ctx: CommandContext): Promise<number> {
  const sql = ctx.connect();
  try {
    const [server] = await sql`select current_setting('server_version') as version, current_database() as database, current_user as "user"`;
    // The migration history is the owner's to read; a role like credits_service still checks the ledger.
    const migrations = await migrationStatus({ databaseUrl: ctx.flags.databaseUrl }).catch((error: unknown) => {
      if ((error as { code?: string }).code === '42501') return null;
      throw error;
    });
    const atLatest =
      migrations !== null &&
      migrations.pending.length === 0 &&
      migrations.definitions.changed.length === 0 &&
      migrations.definitions.removed.length === 0;
    let violations: number | null = null;
    let verifyMs: number | null = null;
    if (migrations === null || (migrations.applied.includes('0002_credits_ledger') && atLatest)) {
      const started = performance.now();
      violations = (await client.verifyLedger(sql)).length;
      verifyMs = Math.round(performance.now() - started);
    }
    const notReadable = `not readable as ${String(server!.user)} (the package owner's history: run status as the owner to see it)`;
    const result = {
      server: server!.version,
      database: server!.database,
      user: server!.user,
      migrations: migrations === null ? notReadable : { applied: migrations.applied.length, pending: migrations.pending },
      definitions:
        migrations === null
          ? notReadable
          : { toApply: migrations.definitions.changed.map((d) => d.name), toDrop: migrations.definitions.removed.map((d) => d.name) },
      ledger: violations === null ? 'not checked (migrate first)' : violations === 0 ? 'sound' : `${violations} violations`,
      violations,
      verifyMs,
    };
    ctx.print(result, () => {
      console.log(`connected: PostgreSQL ${result.server}, database ${result.database} as ${result.user}`);
      if (migrations === null) console.log(`migrations: ${notReadable}`);
      else {
        console.log(
          `migrations: ${migrations.applied.length} applied, ${migrations.pending.length ? `pending: ${migrations.pending.join(', ')}` : 'none pending'}`,
        );
        const changes = migrations.definitions.changed.length + migrations.definitions.removed.length;
        console.log(
          `functions and views: ${changes === 0 ? 'up to date' : `${migrations.definitions.changed.length} to apply, ${migrations.definitions.removed.length} to drop (credits migrate up)`}`,
        );
      }
      console.log(`ledger: ${result.ledger}${verifyMs === null ? '' : ` (verify_ledger in ${verifyMs} ms)`}`);
    });
    return (atLatest || migrations === null) && violations === 0 ? 0 : 1;
  } finally {
    await sql.end();
  }
}

/** `credits expire-stale-generations`: fails and refunds stuck generations, in batches until none is left. */
export async function sweepCommand(ctx: CommandContext): Promise<number> {
  const sql = ctx.connect();
  const olderThan = ctx.flags.olderThan ?? '30 minutes';
  const limit = ctx.flags.limit ?? limits['expire-stale-generations'].default;
  try {
    let tasks = 0;
    let submitted = 0;
    let credits = 0;
    for (;;) {
      const swept = await client.expireStaleGenerations(sql, { olderThan, limit });
      tasks += swept.length;
      submitted += swept.filter((r) => r.previous_status === 'processing').length;
      credits += swept.reduce((n, r) => n + r.refunded_credits, 0);
      if (!ctx.flags.json && swept.length) process.stderr.write(`swept ${tasks} tasks so far\n`);
      if (swept.length < limit) break;
    }
    // A submitted task is one `credits reconcile` asks the provider about first: on the documented
    // schedule (its hard limit under this threshold) the sweep only refunds what it could not settle.
    ctx.print({ olderThan, tasks, submitted, neverSubmitted: tasks - submitted, creditsRefunded: credits }, () => {
      if (!tasks) return console.log(`no task stuck for over ${olderThan}`);
      console.log(`failed and refunded ${plural(tasks, 'task')} stuck for over ${olderThan}: ${plural(credits, 'credit')} back`);
      console.log(
        `  ${tasks - submitted} never submitted to a provider; ${submitted} submitted that reconciliation (credits reconcile) could not settle`,
      );
    });
    return 0;
  } finally {
    await sql.end();
  }
}

/**
 * `credits allocate-monthly-credits`: starts the monthly period (this month in UTC, or --period YYYY-MM-01) for
 * every account, one batch per transaction (allocate_monthly_credits moves at most 1,000
 * accounts per call), so a charge never waits for more than one batch. Safe to interrupt and to
 * run twice at once: what is left is still due, and batches lock SKIP LOCKED.
 */
export async function allocateCommand(ctx: CommandContext): Promise<number> {
  const sql = ctx.connect();
  try {
    const period = ctx.flags.period ?? `${new Date().toISOString().slice(0, 8)}01`; // toISOString is UTC
    const total = { accounts: 0, creditsAllocated: 0, creditsExpired: 0, batches: 0 };
    for (;;) {
      const batch = await client.allocateMonthlyCredits(sql, { periodStart: period });
      if (!batch.accounts) break;
      total.batches++;
      total.accounts += batch.accounts;
      total.creditsAllocated += batch.credits_allocated;
      total.creditsExpired += batch.credits_expired;
      if (!ctx.flags.json && process.stderr.isTTY) process.stderr.write(`\r${total.accounts} accounts moved`);
    }
    if (!ctx.flags.json && process.stderr.isTTY && total.batches > 0) process.stderr.write('\n');
    const data = { period, ...total };
    ctx.print(data, () =>
      console.log(
        total.accounts
          ? `period ${period}: ${total.accounts} accounts in ${total.batches} batches, ${total.creditsAllocated} credits allocated, ${total.creditsExpired} expired`
          : `period ${period}: every account is already in it`,
      ),
    );
    return 0;
  } finally {
    await sql.end();
  }
}

/** A history line: what a person reads, within 100 columns (--json keeps every column). */
const historyLine = (r: client.CreditHistoryResult) => ({
  created_at: r.created_at,
  // a settlement is a refund row of what a generation's hold did not use (contract §11)
  type: r.origin === 'settlement' ? 'settlement' : r.type,
  amount: r.amount,
  balance: r.balance_after,
  description: r.description,
});

/** `credits history <user-id>`: a page of the ledger, newest first, and the command for the next one. */
export async function historyCommand(ctx: CommandContext): Promise<number> {
  const userId = ctx.args[0]!;
  const limit = ctx.flags.limit ?? limits.history.default;
  const sql = ctx.connect();
  try {
    const rows = await client.creditHistory(sql, { userId, limit, ...(ctx.flags.before ? { before: ctx.flags.before } : {}) });
    ctx.print(rows, () => {
      console.log(rows.length ? formatTable(rows.map(historyLine), { maxWidth: 100 }) : 'no ledger rows');
      if (rows.length === limit) console.log(`next page: credits history ${userId} --limit ${limit} --before ${rows.at(-1)!.id}`);
    });
    return 0;
  } finally {
    await sql.end();
  }
}

/**
 * A statement's figures in the order of its sum (closing - closing debt = opening - opening debt +
 * allocated + purchased + promoted - used + refunded + settled - expired + adjusted - revoked),
 * not the SQL type's, where the columns later migrations added come last; the debts follow the
 * balances.
 */
const statementOrder = [
  'period_start',
  'period_end',
  'opening_balance',
  'allocated',
  'purchased',
  'promoted',
  'used',
  'refunded',
  'settled',
  'expired',
  'adjusted',
  'revoked',
  'closing_balance',
  'opening_debt',
  'closing_debt',
  'transactions',
];

function inStatementOrder(statement: client.CreditStatementResult): Record<string, unknown> {
  const entries = Object.entries(statement);
  const rank = (key: string) => (statementOrder.includes(key) ? statementOrder.indexOf(key) : statementOrder.length);
  return Object.fromEntries(entries.sort(([a], [b]) => rank(a) - rank(b)));
}

/** `credits statement <user-id>`: a month's figures, one per line. */
export async function statementCommand(ctx: CommandContext): Promise<number> {
  const userId = ctx.args[0]!;
  const sql = ctx.connect();
  try {
    const statement = inStatementOrder(
      await client.creditStatement(sql, { userId, ...(ctx.flags.period ? { periodStart: ctx.flags.period } : {}) }),
    );
    ctx.print(statement, () => console.log(formatRecord({ user_id: userId, ...statement })));
    return 0;
  } finally {
    await sql.end();
  }
}

export async function tierCommand(ctx: CommandContext): Promise<number> {
  const [userId, tier] = ctx.args as [string, string];
  const sql = ctx.connect();
  try {
    const change = await client.changeTier(sql, { userId, tier, idempotencyKey: ctx.flags.key! });
    ctx.print(change, () => console.log(formatRecord({ user_id: userId, ...change })));
    return 0;
  } finally {
    await sql.end();
  }
}

export async function promoteCommand(ctx: CommandContext): Promise<number> {
  const [userId, credits] = ctx.args as [string, string];
  const sql = ctx.connect();
  try {
    const grant = await client.grantPromotionalCredits(sql, {
      userId,
      credits: Number(credits),
      validFor: ctx.flags.validFor!,
      reason: ctx.flags.reason!,
      idempotencyKey: ctx.flags.key!,
      ...(ctx.flags.label ? { label: ctx.flags.label } : {}),
    });
    ctx.print(grant, () => console.log(formatRecord({ user_id: userId, ...grant })));
    return 0;
  } finally {
    await sql.end();
  }
}

/** `credits expire-promotional-credits`: the expiry job, in batches until no lot is due. */
export async function expirePromotionsCommand(ctx: CommandContext): Promise<number> {
  const sql = ctx.connect();
  try {
    const total = { lots: 0, accounts: 0, creditsExpired: 0 };
    for (;;) {
      const run = await client.expirePromotionalCredits(sql, { limit: ctx.flags.limit ?? limits['expire-promotional-credits'].default });
      if (!run.lots) break;
      total.lots += run.lots;
      total.accounts += run.accounts;
      total.creditsExpired += run.credits_expired;
    }
    ctx.print(total, () =>
      console.log(
        total.lots
          ? `closed ${total.lots} promotional lots past their date: ${total.creditsExpired} credits expired on ${total.accounts} accounts`
          : 'no promotional lot is past its date',
      ),
    );
    return 0;
  } finally {
    await sql.end();
  }
}

export async function balanceCommand(ctx: CommandContext): Promise<number> {
  const userId = ctx.args[0]!;
  const sql = ctx.connect();
  try {
    // --at: as the ledger had it then (credit_balance_at), else now with the tier and period
    const balance = ctx.flags.at
      ? await client.creditBalanceAt(sql, { userId, at: new Date(ctx.flags.at) })
      : await client.getCreditBalance(sql, { userId });
    ctx.print(balance, () => console.log(formatRecord({ user_id: userId, ...(ctx.flags.at ? { at: ctx.flags.at } : {}), ...balance })));
    return 0;
  } finally {
    await sql.end();
  }
}
