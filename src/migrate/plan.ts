// What the public deploy API returns and throws (a definitions plan; the conflicts that stop a
// deploy), kept apart from the modules that talk to the database so that it names no pg type: an
// application's compiler reads it without pg's typings (pg stays an implementation detail).
export type DefinitionKind = 'function' | 'view';

export interface Definition {
  /** Path relative to the package root, e.g. functions/public/start_generation.sql. */
  name: string;
  kind: DefinitionKind;
  schema: string;
  object: string;
  sql: string;
  sha256: string;
}

/** A definition as recorded: its file and the object it created. */
export interface Located {
  name: string;
  kind: DefinitionKind;
  schema: string;
  object: string;
}

export interface DefinitionPlan {
  changed: Definition[];
  unchanged: Definition[];
  /** Recorded as applied but no longer in the source: dropped by the next apply. */
  removed: Located[];
}

/** An object in the way of a deploy, as its pre-flight names it (src/migrate/conflicts.ts). */
export interface Conflict {
  /** What the package would create, e.g. `table public.user_credits`. */
  object: string;
  /** Which migration or definition file creates it. */
  createdBy: string;
  /** What the database holds under that name. */
  found: string;
  /** What to do about it. */
  advice: string;
}

/** Thrown by the deploy, before it writes anything, when the database holds objects in the way. */
export class DeployConflictError extends Error {
  override name = 'DeployConflictError';
  readonly detail: string;
  readonly hint = 'nothing was written; after the steps above, run `credits migrate up` again (docs/operations.md, "The pre-flight")';
  constructor(readonly conflicts: Conflict[]) {
    super(
      `the database holds ${conflicts.length === 1 ? 'an object' : `${conflicts.length} objects`} in the way of the credits ledger: nothing was written`,
    );
    this.detail = conflicts.map((c) => `${c.object} (${c.createdBy}): ${c.found}\n  → ${c.advice}`).join('\n');
  }
}
