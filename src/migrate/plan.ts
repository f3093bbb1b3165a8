// What a deploy's definitions are and what it would do with them: the types the public deploy
// API returns, kept apart from definitions.ts so that they name no pg type (an application's
// compiler reads them without pg's typings; pg stays an implementation detail).
export type DefinitionKind = 'function' | 'view';

export interface Definition {
  /** Path relative to the package root, e.g. functions/ledger/start_generation.sql. */
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
