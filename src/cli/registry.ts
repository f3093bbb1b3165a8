// Every command of `credits`, with its arguments, options and help text.
import { cleanupCheckCommand } from './cleanup-command.js';
import { closeLedgerCommand } from './close-ledger-command.js';
import { dashboardCommand } from './dashboard-command.js';
import {
  allocateCommand,
  balanceCommand,
  expirePromotionsCommand,
  historyCommand,
  promoteCommand,
  statementCommand,
  statusCommand,
  sweepCommand,
  tierCommand,
} from './ledger-commands.js';
import { migrateAdoptCommand, migrateDownCommand, migrateStatusCommand, migrateUpCommand } from './migrate-commands.js';
import { importCommand } from './import-command.js';
import { reconcileCommand } from './reconcile-command.js';
import { refundsAuditCommand, refundsBackfillCommand } from './refunds-commands.js';
import { revokeCommand, voidGrantCommand } from './revoke-commands.js';
import { tiersListCommand, tiersSetCommand } from './tier-commands.js';
import { declineTopUpCommand, setAutoTopUpCommand } from './top-up-commands.js';
import { limitsCommand, teamAddCommand, teamCreateCommand, teamListCommand, teamRemoveCommand } from './team-commands.js';
import { limitOption, maxPromotionalCredits, type ArgumentSpec, type CommandSpec } from './spec.js';
import { intervalSyntax } from './interval.js';
import { UsageError } from './usage-error.js';
import { dashboardToken, positiveInteger, someText, uuid } from './validate.js';
import { isLoopback } from '../dashboard/serve.js';
import { reconcileDefaults } from '../wavespeed/reconcile.js';

const count: ArgumentSpec = { name: 'N', required: false, check: (t, n) => String(positiveInteger(t, n, 1000)) };

export const commands: CommandSpec[] = [
  {
    name: 'status',
    summary: 'connection, migrations, functions to apply, ledger soundness (exit 1 if not all fine)',
    description:
      'Connects, lists applied and pending migrations and the functions and views a deploy would\nchange, and runs verify_ledger() when the database is at the latest version.\nExit 1 when something is pending or the ledger is not sound.',
    arguments: [],
    options: [],
    run: statusCommand,
  },
  {
    name: 'expire-stale-generations',
    deprecatedAliases: ['sweep'],
    summary: 'fail and refund generations stuck longer than --older-than (default 30 minutes)',
    description: `Calls expire_stale_generations in batches of --limit until fewer come back: every task\nin flight (pending or processing) for longer than --older-than is failed and refunded.\n\nINTERVAL: ${intervalSyntax}.\nExamples: '45 minutes', '1 hour 30 minutes', 90s, 1.5h, 00:45:00.`,
    arguments: [],
    options: [
      { name: 'older-than', help: "fail and refund the tasks in flight for longer than this (default '30 minutes'), 1 second to a year" },
      limitOption('expire-stale-generations'),
    ],
    run: sweepCommand,
  },
  {
    name: 'reconcile',
    summary: 'ask WaveSpeed about submitted generations in flight for over --older-than (default 2 minutes) and settle them',
    description: `For each task submitted to WaveSpeed (it has a prediction id) and unchanged for longer than\n--older-than, asks the provider for the result: completed → completed with its cost,\nfailed → failed and refunded, still processing → left alone until --hard-limit, then\nexpired and refunded. At most --limit tasks per run, --concurrency requests at once; two runs\nat once ask about different tasks. Reads WAVESPEED_API_KEY (and WAVESPEED_BASE_URL, default\nhttps://api.wavespeed.ai). Run it every minute, from cron or a worker (it calls the provider over\nHTTP: not from pg_cron); schedule credits expire-stale-generations with a longer --older-than as the backstop.\nExit 1 when some task could not be settled (the provider could not be asked, or its\nanswer recorded): it is leased for --lease, then asked again.\n\nINTERVAL: ${intervalSyntax}.`,
    arguments: [],
    options: [
      {
        name: 'older-than',
        help: "ask about the tasks submitted and unchanged for longer than this (default '2 minutes'), 1 second to a year",
      },
      'hard-limit',
      limitOption('reconcile'),
      'concurrency',
      'lease',
      'provider',
    ],
    check: (flags, env) => {
      if (!env.WAVESPEED_API_KEY) throw new UsageError('no provider key: set WAVESPEED_API_KEY', 'reconcile');
      flags.wavespeed = { apiKey: env.WAVESPEED_API_KEY, ...(env.WAVESPEED_BASE_URL ? { baseUrl: env.WAVESPEED_BASE_URL } : {}) };
      if ((flags.hardLimitSeconds ?? reconcileDefaults.hardLimitSeconds) <= (flags.olderThanSeconds ?? reconcileDefaults.olderThanSeconds))
        throw new UsageError('--hard-limit must be longer than --older-than', 'reconcile');
    },
    run: reconcileCommand,
  },
  {
    name: 'allocate-monthly-credits',
    deprecatedAliases: ['allocate'],
    summary: 'start the monthly period for every account (this month, or --period YYYY-MM-01)',
    description:
      "Calls allocate_monthly_credits: expires unused monthly credits and grants each tier's\nallowance. Idempotent per account and period; periods only move forward.",
    arguments: [],
    options: [{ name: 'period', help: 'the month to start, its first day (default: this month, UTC)' }],
    run: allocateCommand,
  },
  {
    name: 'close-ledger',
    summary: 'close the ledger through 00:00 UTC today (or --through): the daily job, soon after midnight',
    description:
      "Calls close_ledger: proves what changed since the last closing, then records each account's\ncheckpoint (its last one plus the period's rows) and write-protects the period's rows; from then\non verify_open_period proves the open period against it. Closing an instant already closed\nchanges nothing (already_closed). Exit 1 when refused (CR005: a transaction begun before the\ninstant is still open, or the ledger is not sound: nothing is closed; CR003 an instant to come).",
    arguments: [],
    options: ['through'],
    run: closeLedgerCommand,
  },
  {
    name: 'balance',
    summary: "an account's balance, buckets, tier and period (--at: as the ledger had them at an instant)",
    description:
      'Prints get_credit_balance for the user, one figure per line; with --at, credit_balance_at: the\nbalance, buckets and debt as the ledger had them then. Exit 1 (CR002) when the user has no\naccount, (CR003) for an instant before its first ledger row with buckets.',
    arguments: [{ name: 'user-id', required: true, check: uuid }],
    options: ['at'],
    run: balanceCommand,
  },
  {
    name: 'history',
    summary: "an account's ledger rows, newest first, a page at a time (--limit, --before)",
    description:
      "Prints credit_history for the user: --limit rows, newest first, one line each (when, type,\namount, balance after, description; a settlement's refund shows as settlement; --json gives\nevery column: ids, buckets, period, task, origin), then the command that prints the next page (--before the last row's id).",
    arguments: [{ name: 'user-id', required: true, check: uuid }],
    options: [limitOption('history'), 'before'],
    run: historyCommand,
  },
  {
    name: 'statement',
    summary: "an account's month: opening, allocated, purchased, promoted, used, refunded, settled, expired, adjusted, revoked, closing",
    description:
      "Prints credit_statement for the user and --period (default: this month, UTC): each figure the\nsum of the ledger rows of the month; closing - closing debt = opening - opening debt +\nallocated + purchased + promoted - used + refunded + settled - expired + adjusted - revoked.\nused: what the month's generations finally cost (holds less their settlements); settled:\nsettlements of earlier months' generations; revoked: credits taken back (revoke-credits).",
    arguments: [{ name: 'user-id', required: true, check: uuid }],
    options: [{ name: 'period', help: 'the month to report, its first day (default: this month, UTC)' }],
    run: statementCommand,
  },
  {
    name: 'limits',
    summary: "an account's limits in effect and today's usage; --max-in-flight and --daily-credits set its own",
    description:
      "Without options, prints the limits in effect for the account (a team's too) and where it stands\ntoday: generations in flight and credits spent (UTC day). With --max-in-flight and\n--daily-credits (both: set_credit_limits sets them at once), sets the account's own: a number,\nnone (no limit whatever its tier) or tier (its tier's, credit_tiers). A start past a limit is\nrefused with CR007. Exit 1 (CR002) when the account does not exist.",
    arguments: [{ name: 'user-id', required: true, check: uuid }],
    options: ['max-in-flight', 'daily-credits'],
    check: (flags) => {
      if ((flags.maxInFlight === undefined) !== (flags.dailyCredits === undefined))
        throw new UsageError('limits sets both at once: give --max-in-flight and --daily-credits (N, none or tier)', 'limits');
    },
    run: limitsCommand,
  },
  {
    name: 'team create',
    summary: "create a team's account (an account with no end user that its members spend)",
    description:
      "Calls ensure_team_account: the team's account on --tier (default free) with that tier's\nallowance for this month; again, it changes nothing. Exit 1 (CR003) when the id is a user's\naccount or a member's.",
    arguments: [{ name: 'team-id', required: true, check: uuid }],
    options: ['tier'],
    run: teamCreateCommand,
  },
  {
    name: 'team add',
    summary: "let a user spend a team's credits, with an optional --daily-cap",
    description:
      "Calls add_team_member: the user may start generations the team pays for (start_generation's\np_account_id), up to --daily-cap credits per UTC day (default: no cap of their own). Again: the\nnew cap. The user needs no account of their own. Exit 1 (CR002 no such team, CR003 not a team).",
    arguments: [
      { name: 'team-id', required: true, check: uuid },
      { name: 'user-id', required: true, check: uuid },
    ],
    options: ['daily-cap'],
    run: teamAddCommand,
  },
  {
    name: 'team remove',
    summary: "stop a member's new starts on a team's credits (generations in flight finish)",
    description:
      "Calls remove_team_member: the member's next start on the team is refused (CR008); what they\nhave in flight finishes or fails as usual, and the ledger keeps their rows. team add brings them back.",
    arguments: [
      { name: 'team-id', required: true, check: uuid },
      { name: 'user-id', required: true, check: uuid },
    ],
    options: [],
    run: teamRemoveCommand,
  },
  {
    name: 'team list',
    summary: "a team's balance and limits, and its members with their caps and spend",
    description:
      "Prints the team's balance, generations in flight and credits spent today against its limits,\nthen list_team_members: each member's cap, spend today (UTC) and this month, generations in\nflight and when they were added (--include-removed: removed members too).",
    arguments: [{ name: 'team-id', required: true, check: uuid }],
    options: ['include-removed'],
    run: teamListCommand,
  },
  {
    name: 'tiers list',
    summary: 'the tiers: allowance, threshold, limits, rollover cap, and how many accounts are on each',
    description: 'Prints credit_tiers, one line per tier, with the accounts on it.',
    arguments: [],
    options: [],
    run: tiersListCommand,
  },
  {
    name: 'tiers set',
    summary: 'create a tier or replace all its values (upsert_credit_tier)',
    description:
      'Calls upsert_credit_tier: every value is replaced, an option left out included (no threshold\nor limit, a rollover cap of 0). A changed allowance or rollover cap reaches accounts at their\nnext period; a changed threshold or limit at once. A tier with accounts on it is never deleted.\nExit 1 (CR003) for a value out of range.',
    arguments: [{ name: 'tier', required: true, check: (t, n) => someText(t, n, 64) }],
    options: [
      { name: 'allowance', required: true },
      'threshold',
      {
        name: 'max-in-flight',
        value: 'N|none',
        help: 'generations in flight an account of the tier may pay for, 1-1000000, or none (default)',
      },
      {
        name: 'daily-credits',
        value: 'N|none',
        help: 'credits an account of the tier may spend per UTC day, 1-100000000, or none (default)',
      },
      'rollover-cap',
    ],
    check: (flags) => {
      if (flags.maxInFlight === null || flags.dailyCredits === null)
        throw new UsageError("tiers set takes a number or none for a limit: 'tier' is for an account's own", 'tiers set');
    },
    run: tiersSetCommand,
  },
  {
    name: 'change-tier',
    deprecatedAliases: ['tier'],
    summary: "change an account's plan: an upgrade now (topped up for this month), a downgrade next month",
    description:
      "Calls change_tier: an upgrade applies now and grants the difference of the monthly\nallowances for this month; a downgrade applies when the account's next month starts\n(pending_tier meanwhile). --key is required: the same key again changes nothing.\nExit 1 when refused (CR002 no account, CR003 unknown tier, CR006 key reused for another tier).",
    arguments: [
      { name: 'user-id', required: true, check: uuid },
      { name: 'tier', required: true, check: (t) => t },
    ],
    options: [{ name: 'key', required: true }],
    run: tierCommand,
  },
  {
    name: 'import',
    summary: 'load opening balances from another system: a CSV file (--csv) or a query (--from-sql)',
    description:
      "Loads one account per row, in one transaction: created on its tier if missing; one 'adjustment'\nledger row per non-empty bucket (monthly, purchased) with --reason, and promotional credits as\na grant expiring at promotional_expires_at. <import-id> names the import: the same import again\nbrings nothing twice, and a user it brought with other figures is refused. Every problem (an\nunknown tier, a negative or non-numeric amount, a malformed id, a user on two lines, an expiry\nin the past, an account in debt) is reported with its line, exit 1, nothing written.\n--dry-run counts what it would write and writes nothing.\n\nColumns (CSV header, or the query's names): user_id, tier, monthly, purchased, promotional,\npromotional_expires_at, promotional_reason (empty amounts are 0).",
    arguments: [
      {
        name: 'import-id',
        required: true,
        check: (t, n) => someText(t, n, 200),
      },
    ],
    options: [{ name: 'csv' }, { name: 'from-sql' }, { name: 'reason', required: true }, 'dry-run'],
    check: (flags) => {
      if ((flags.importCsv === undefined) === (flags.importQuery === undefined))
        throw new UsageError('import takes one source: --csv FILE or --from-sql QUERY', 'import');
    },
    run: importCommand,
  },
  {
    name: 'grant-promotional-credits',
    deprecatedAliases: ['promote'],
    summary: 'grant promotional credits that expire after --valid-for',
    description: `Calls grant_promotional_credits: <credits> credits (1 to ${maxPromotionalCredits.toLocaleString('en-US')}) spent before any other,\nuntil --valid-for has passed; then what is left expires (credits expire-promotional-credits). The same\n--key again grants nothing. Exit 1 when refused (CR002 no account; CR003 an interval\nPostgreSQL cannot read, or an expiry less than 1 minute or more than 366 days ahead; CR006 key\nreused for another grant).\n\nINTERVAL: what PostgreSQL reads as an interval, passed on as written: '7 days', '1 month',\n'2 weeks', '12 hours', '1 month 15 days', 'P1M' (ISO 8601).`,
    arguments: [
      { name: 'user-id', required: true, check: uuid },
      { name: 'credits', required: true, check: (t, n) => String(positiveInteger(t, n, maxPromotionalCredits)) },
    ],
    options: [
      { name: 'valid-for', required: true },
      { name: 'reason', required: true },
      {
        name: 'key',
        required: true,
        help: "the grant's idempotency key, e.g. the campaign's or the payment's id: the same key again grants nothing",
      },
      'label',
    ],
    run: promoteCommand,
  },
  {
    name: 'revoke-credits',
    summary: 'take credits back (a refunded payment, a chargeback); what the account no longer holds becomes debt',
    description: `Calls revoke_credits: <credits> credits (1 to ${maxPromotionalCredits.toLocaleString('en-US')}) taken back, purchased first, then\nmonthly, then promotional; what the account no longer holds becomes debt, which every credit that\ncomes in repays first (purchases, allocations, refunds). One 'revocation' ledger row. The same\n--key again takes nothing more. Exit 1 when refused (CR002 no account; CR006 key reused for\nanother revocation).`,
    arguments: [
      { name: 'user-id', required: true, check: uuid },
      { name: 'credits', required: true, check: (t, n) => String(positiveInteger(t, n, maxPromotionalCredits)) },
    ],
    options: [
      { name: 'reason', required: true, help: 'why the credits are taken back, shown in the ledger' },
      {
        name: 'key',
        required: true,
        help: "the revocation's idempotency key, e.g. the payment provider's dispute or refund id: the same key again takes nothing",
      },
    ],
    run: revokeCommand,
  },
  {
    name: 'void-promotional-grant',
    summary: 'void a promotional grant: what is left expires now, and refunds to it expire at once',
    description:
      "Calls void_promotional_grant for the grant's <lot-id> (grant-promotional-credits prints it): what\nis left of it expires now (an expiration row), charges already made from it stay, and a later\nrefund of such a charge expires at once instead of coming back. Again: already_voided, nothing\nchanges. Exit 1 when refused (CR002 no account; CR003 no such grant on this account).",
    arguments: [
      { name: 'user-id', required: true, check: uuid },
      { name: 'lot-id', required: true, check: (t, n) => String(positiveInteger(t, n, Number.MAX_SAFE_INTEGER)) },
    ],
    options: [{ name: 'reason', required: true, help: 'why the grant is voided, shown in the ledger' }],
    run: voidGrantCommand,
  },
  {
    name: 'set-auto-top-up',
    summary: "an account's automatic top-up: below --threshold, ask the app to buy credits back to --target",
    description:
      "Calls set_auto_top_up: a charge that takes the balance from at or above --threshold to below it\nwrites one top_up_requested event (claim_credit_events) for the credits back to --target, within\nwhat --monthly-limit leaves this UTC month (none: no limit). The application charges the saved\ncard, then grants them with the event's idempotency key (grant_credits), or declines the request\n(decline-top-up). One request is open at a time, for 24 hours at most. --off turns them off (an\nopen request stays open). Exit 1 when refused (CR002 no account; CR003 a target not above the\nthreshold).",
    arguments: [{ name: 'user-id', required: true, check: uuid }],
    options: [
      { name: 'threshold', value: 'N', help: 'the balance below which a charge asks for a top-up, 1-100000000' },
      'target',
      'monthly-limit',
      'off',
    ],
    check: (flags) => {
      const given = flags.threshold !== undefined || flags.target !== undefined || flags.monthlyLimit !== undefined;
      if (flags.off ? given : flags.threshold == null || flags.target === undefined)
        throw new UsageError('set-auto-top-up takes --threshold N and --target N (and --monthly-limit), or --off alone', 'set-auto-top-up');
    },
    run: setAutoTopUpCommand,
  },
  {
    name: 'decline-top-up',
    summary: 'close a top-up request the application could not buy (a declined card)',
    description:
      "Calls decline_top_up for the top_up_requested event <event-id>: the request closes, so the\naccount's next charge that crosses its threshold may ask again (its credits still count against\nthe month's limit). A request already granted stays granted; again: already_declined.\nExit 1 when refused (CR003 no top-up request has this id).",
    arguments: [{ name: 'event-id', required: true, check: (t, n) => String(positiveInteger(t, n, Number.MAX_SAFE_INTEGER)) }],
    options: [],
    run: declineTopUpCommand,
  },
  {
    name: 'expire-promotional-credits',
    deprecatedAliases: ['expire-promotions'],
    summary: 'expire the promotional credits past their date, in batches until none is left',
    description:
      'Calls expire_promotional_credits until it closes no lot: what is left of each promotional\ngrant past its date leaves the balance (an expiration row). Safe to run twice at once.',
    arguments: [],
    options: [limitOption('expire-promotional-credits')],
    run: expirePromotionsCommand,
  },
  {
    name: 'migrate up',
    summary: 'run pending migrations (N at most), then apply changed functions and views',
    description:
      "First compares what it would create with what the database holds: a table, column, function,\ntype or schema of the package's names that is not the package's (or a package role that is\nSUPERUSER) is listed with what to do, exit 1, nothing written. Then runs the pending migrations\n(at most N) under the deploy lock, then, once at the latest migration, the functions and views\nwhose text changed, then restores the package's privileges. Prints what it did in one line\n(--verbose: each migration, file and privilege statement). --json reports their names and hashes.",
    arguments: [count],
    options: ['verbose'],
    run: migrateUpCommand,
  },
  {
    name: 'migrate down',
    summary: 'roll back the last N migrations (default 1); never the legacy baseline',
    description:
      "Drops the package's functions and views, then rolls back the last N migrations (default 1).\nThe legacy baseline is never rolled back (CR005).",
    arguments: [count],
    options: [],
    run: migrateDownCommand,
  },
  {
    name: 'migrate status',
    summary: 'applied and pending migrations, functions and views a deploy would change',
    description: 'Lists applied and pending migrations and the functions and views a deploy would apply or drop.',
    arguments: [],
    options: [],
    run: migrateStatusCommand,
  },
  {
    name: 'migrate adopt',
    summary: 'record the legacy baseline as applied on an existing production database',
    description:
      'Records 0001_legacy_baseline as applied without running it, on a database that holds the\nlegacy tables (contract §1: every column of the baseline, of its type) and no migration history.\nThen: credits migrate up.',
    arguments: [],
    options: [],
    run: migrateAdoptCommand,
  },
  {
    name: 'cleanup check',
    summary: 'pre-flight of the pool cleanup: rows to archive, objects still depending',
    description:
      'Runs the cleanup migration (0003) in a transaction that is rolled back: what it would\narchive, and what still depends on the pools. Exit 1 when blocked.',
    arguments: [],
    options: [],
    run: cleanupCheckCommand,
  },
  {
    name: 'refunds audit',
    summary: 'failed tasks never refunded: totals and the users owed most',
    description: 'Totals of monitoring.missing_refunds and the ten users owed most.',
    arguments: [],
    options: [],
    run: refundsAuditCommand,
  },
  {
    name: 'refunds backfill',
    summary: 'dry run of the refund backfill; with --apply, refund in batches',
    description:
      'Without --apply: what backfill_missing_refunds would refund; nothing is written.\nWith --apply: refunds them in batches of --batch-size, one transaction each, with progress on\nstderr. Safe to interrupt and to run twice. Run as a member of credits_service (or the owner).',
    arguments: [],
    options: ['apply', 'batch-size'],
    check: (flags) => {
      if (flags.batchSize !== undefined && !flags.apply)
        throw new UsageError('--batch-size goes with --apply (a dry run has no batches)', 'refunds backfill');
    },
    run: refundsBackfillCommand,
  },
  {
    name: 'dashboard',
    summary: "today's health and the daily, weekly and monthly tables (exit 1 on an alert); --serve: the page",
    description:
      "Today's platform health against its thresholds, then the daily, weekly and monthly\nsummaries, the providers of the last 7 days and the optimization hints. Exit 1 when today's\nhealth is alert (a cron check).\n\nWith --serve: the dashboard page (docs/monitoring.md) over HTTP until Ctrl-C, on 127.0.0.1:8787\nunless --host and --port say otherwise. Another address than loopback needs a token\n(--token or CREDITS_DASHBOARD_TOKEN): every request without it gets 401, and the link printed\ncarries it once (it is kept in a cookie).",
    arguments: [],
    options: ['refresh', 'serve', 'host', 'port', 'token'],
    check: (flags, env) => {
      if (!flags.serve && (flags.host !== undefined || flags.port !== undefined || flags.token !== undefined)) {
        throw new UsageError('--host, --port and --token go with --serve', 'dashboard');
      }
      if (!flags.serve) return;
      if (flags.json) throw new UsageError("--json prints the tables' document; --serve serves the page: pick one", 'dashboard');
      if (flags.token === undefined && env.CREDITS_DASHBOARD_TOKEN)
        flags.token = dashboardToken(env.CREDITS_DASHBOARD_TOKEN, 'CREDITS_DASHBOARD_TOKEN');
      const host = flags.host ?? '127.0.0.1';
      if (!isLoopback(host) && flags.token === undefined) {
        throw new UsageError(
          `--host ${host} is reachable from other machines: give a token (--token, or CREDITS_DASHBOARD_TOKEN; openssl rand -hex 16 makes one)`,
          'dashboard',
        );
      }
    },
    run: dashboardCommand,
  },
];
