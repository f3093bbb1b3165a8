// One error class per SQLSTATE of the contract (docs/error-codes.md), so that callers write
//   catch (e) { if (e instanceof InsufficientCreditsError) showPaywall(e.required, e.available) }
// CR001's and CR007's numbers come from their DETAIL, a JSON object by contract of this package
// (docs/error-codes.md), never from prose.

/** Fields PostgreSQL clients (postgres, pg) put on a server error. */
interface ServerError {
  code?: string;
  message?: string;
  detail?: string;
  hint?: string;
}

export class CreditsError extends Error {
  readonly code: string;
  readonly detail: string | undefined;
  readonly hint: string | undefined;

  constructor(source: ServerError, options?: { cause?: unknown }) {
    super(source.message ?? 'credits ledger error', options);
    this.name = new.target.name;
    this.code = source.code ?? 'unknown';
    this.detail = source.detail;
    this.hint = source.hint;
  }
}

/** A DETAIL that is a JSON object (CR001's), else nothing. */
function parseDetail(detail: string | undefined): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(detail ?? '');
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** CR001: the account holds fewer credits than the generation costs. */
export class InsufficientCreditsError extends CreditsError {
  /** What the generation costs. */
  readonly required: number | undefined;
  /** What the account holds. */
  readonly available: number | undefined;

  constructor(source: ServerError, options?: { cause?: unknown }) {
    super(source, options);
    const detail = parseDetail(source.detail);
    this.required = typeof detail.required === 'number' ? detail.required : undefined;
    this.available = typeof detail.available === 'number' ? detail.available : undefined;
  }
}

/** CR002: the user has no credit account (create it with ensureCreditAccount). */
export class NoCreditAccountError extends CreditsError {}

/**
 * CR003: an argument is null, blank, oversized, out of range or unknown. Also a value the server
 * cannot read as its parameter's type (22P02 invalid text, 22003 out of range, 22007/22008 bad
 * date or time, 22P05 bad character; `code` keeps the SQLSTATE), and a value the typed client
 * refuses before sending it (code CR003). From the typed client, `parameter` and the message
 * name the argument by its key in the call's object (`limit`, not `p_limit`).
 */
export class InvalidArgumentError extends CreditsError {
  /** The argument's key in the call's object (e.g. `userId`) when known, so a form can show the error by its field. */
  readonly parameter: string | undefined;

  constructor(source: ServerError, options?: { cause?: unknown; parameter?: string }) {
    super(source, options);
    this.parameter = options?.parameter;
  }
}

/** CR004: no task has that id. */
export class TaskNotFoundError extends CreditsError {}

/** CR005: the task cannot make that transition (e.g. submitting a finished task). */
export class TransitionNotAllowedError extends CreditsError {}

/** CR006: an idempotency key was reused with different arguments. */
export class IdempotencyConflictError extends CreditsError {}

/** Which limit a refused start reached (contract §12). */
export type LimitName = 'in_flight' | 'daily_credits' | 'member_daily_credits';

/**
 * CR007: a start would pass a limit: the account's generations in flight, its credits per UTC day,
 * or a team member's own daily cap. The numbers come from DETAIL (a JSON object by contract):
 *   catch (e) { if (e instanceof LimitReachedError && e.limit === 'in_flight') retryLater() }
 */
export class LimitReachedError extends CreditsError {
  /** Which limit: `in_flight`, `daily_credits` or `member_daily_credits`. */
  readonly limit: LimitName | undefined;
  /** What the limit allows (generations in flight, or credits a day). */
  readonly allowed: number | undefined;
  /** Where the account (or the member) stands: generations in flight, or credits spent today. */
  readonly current: number | undefined;
  /** What the start asked for: 1 generation, or its credits. */
  readonly requested: number | undefined;
  /** The account that would pay (a team's id for a member's start). */
  readonly accountId: string | undefined;
  /** The user who would generate. */
  readonly userId: string | undefined;

  constructor(source: ServerError, options?: { cause?: unknown }) {
    super(source, options);
    const detail = parseDetail(source.detail);
    const number = (v: unknown) => (typeof v === 'number' ? v : undefined);
    const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
    const limit = text(detail.limit);
    this.limit = limit === 'in_flight' || limit === 'daily_credits' || limit === 'member_daily_credits' ? limit : undefined;
    this.allowed = number(detail.allowed);
    this.current = number(detail.current);
    this.requested = number(detail.requested);
    this.accountId = text(detail.account_id);
    this.userId = text(detail.user_id);
  }
}

/** CR008: the user is not a member of the team whose credits the call would spend. */
export class NotTeamMemberError extends CreditsError {
  /** The team. */
  readonly accountId: string | undefined;
  /** The user who is not its member. */
  readonly userId: string | undefined;

  constructor(source: ServerError, options?: { cause?: unknown }) {
    super(source, options);
    const detail = parseDetail(source.detail);
    this.accountId = typeof detail.account_id === 'string' ? detail.account_id : undefined;
    this.userId = typeof detail.user_id === 'string' ? detail.user_id : undefined;
  }
}

/** 42501: the connected role may not do this. */
export class PermissionDeniedError extends CreditsError {}

const classes: Record<string, new (source: ServerError, options?: { cause?: unknown }) => CreditsError> = {
  CR001: InsufficientCreditsError,
  CR002: NoCreditAccountError,
  CR003: InvalidArgumentError,
  CR004: TaskNotFoundError,
  CR005: TransitionNotAllowedError,
  CR006: IdempotencyConflictError,
  CR007: LimitReachedError,
  CR008: NotTeamMemberError,
  '42501': PermissionDeniedError,
  // data exceptions: a value the server could not take as its parameter's type
  '22P02': InvalidArgumentError,
  '22003': InvalidArgumentError,
  '22007': InvalidArgumentError,
  '22008': InvalidArgumentError,
  '22P05': InvalidArgumentError,
};

/** An argument of a typed call: its SQL name (`p_limit`), its key in the call's object (`limit`), its SQL type. */
export interface CallArgument {
  name: string;
  key: string;
  type: string;
}

/**
 * The typed error for a contract SQLSTATE; anything else is returned unchanged. With the call's
 * arguments (the typed client passes them), a refused argument is named by its key.
 */
export function toCreditsError(error: unknown, call?: { arguments: readonly CallArgument[]; given: readonly CallArgument[] }): unknown {
  const code = (error as ServerError | null)?.code;
  const Class = code ? classes[code] : undefined;
  if (Class === InvalidArgumentError && call) return refusedArgument(error as ServerError, call.arguments, call.given);
  return Class ? new Class(error as ServerError, { cause: error }) : error;
}

const sqlName = /\bp_[a-z0-9_]+\b/g;

/** The argument type of a value out of its type's range, by the first word of the server's message. */
const outOfRange: Record<string, string> = { interval: 'interval', date: 'date', timestamp: 'timestamp with time zone' };

/**
 * Which argument the server refused, by its key. CR003: the one argument its MESSAGE names (of
 * several, the one the caller gave, if only one was: the others had their valid defaults), or if
 * it names none, the one its DETAIL names the same way (the functions write "p_tier was …");
 * none when that leaves a doubt. The message then says each SQL name as its key. A value the
 * server could not read as its type ("invalid input syntax for type interval", "interval out of
 * range", "date out of range: …"): the one argument given of that type, if only one was.
 */
function refusedArgument(source: ServerError, all: readonly CallArgument[], given: readonly CallArgument[]): InvalidArgumentError {
  const named = (text: string | undefined) => all.filter((a) => [...(text ?? '').matchAll(sqlName)].some(([name]) => name === a.name));
  const theOne = (candidates: CallArgument[]) => {
    const gave = candidates.filter((a) => given.some((g) => g.name === a.name));
    return candidates.length === 1 ? candidates[0] : gave.length === 1 ? gave[0] : undefined;
  };
  let message = source.message ?? 'invalid argument';
  let argument: CallArgument | undefined;
  if (source.code === 'CR003') {
    const inMessage = named(message);
    argument = theOne(inMessage.length ? inMessage : named(source.detail));
    message = message.replace(sqlName, (name) => all.find((a) => a.name === name)?.key ?? name);
  } else {
    const type =
      /for type ([^:]+)/.exec(message)?.[1]?.trim() ?? outOfRange[/^(interval|date|timestamp)\b.*out of range/.exec(message)?.[1] ?? ''];
    const ofType = given.filter((a) => a.type === type);
    if (ofType.length === 1) {
      argument = ofType[0]!;
      message = `${argument.key}: ${message}`;
    }
  }
  return new InvalidArgumentError(
    { code: source.code, message, detail: source.detail, hint: source.hint },
    { cause: source, ...(argument ? { parameter: argument.key } : {}) },
  );
}
