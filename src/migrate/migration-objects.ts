// What a migration creates, read from its up section: the statements that create, drop, rename
// or move a schema, relation (table, index, view, sequence, type), column or function. The
// deploy's pre-flight (src/migrate/conflicts.ts) replays them over the database's catalog to find
// the objects a pending migration would collide with, before anything is written.
//
// Read from the files rather than from a manifest generated out of a migrated catalog: nothing to
// regenerate when a migration is added, and it reads any `root` a deploy is given. What keeps the
// reading honest is tests/preflight.test.ts: replayed from nothing, every migration's operations
// must give exactly the objects of a migrated database (schemas, relations, columns, functions),
// so a migration that creates something in a way read here misses (a statement inside a DO
// block, a new kind of CREATE) fails the suite, not a deploy. Objects whose names PostgreSQL
// chooses itself (an unnamed primary key's index, a serial's sequence) are never read: PostgreSQL
// picks another free name when one is taken, so they cannot collide.

/** A schema, a relation or type in a schema, a column (or a composite type's attribute), a function. */
export type ObjectKey = string;

export const schemaKey = (schema: string): ObjectKey => `schema ${schema}`;
export const relationKey = (schema: string, name: string): ObjectKey => `relation ${schema}.${name}`;
export const columnKey = (schema: string, table: string, column: string): ObjectKey => `column ${schema}.${table}.${column}`;
export const functionKey = (schema: string, name: string): ObjectKey => `function ${schema}.${name}`;

export type RelationKind = 'table' | 'index' | 'view' | 'sequence' | 'type';

export type Operation =
  | { op: 'create schema'; schema: string }
  | { op: 'create relation'; kind: RelationKind; schema: string; name: string; columns: { name: string; type: string }[] }
  | { op: 'create column'; schema: string; table: string; column: string; type: string }
  | { op: 'create function'; schema: string; name: string; orReplace: boolean }
  | { op: 'drop'; key: ObjectKey }
  | { op: 'move relation'; schema: string; name: string; toSchema: string; toName: string }
  | { op: 'rename column'; schema: string; table: string; from: string; to: string };

export interface ReadMigration {
  operations: Operation[];
  /** CREATE statements of a kind not read here (a policy or trigger is one the pre-flight leaves alone). */
  unread: string[];
}

/**
 * The top-level statements of a SQL text, lower-cased, with comments removed and every string
 * and dollar-quoted body emptied: a DO block's or a function body's statements are not the
 * migration's own (a function is compared by its name, read from its CREATE).
 */
export function topLevelStatements(sql: string): string[] {
  let out = '';
  let i = 0;
  const special = /--|\/\*|'|(?<![a-z0-9_])\$([a-z_][a-z0-9_]*)?\$/gi;
  for (let m = special.exec(sql); m !== null; m = special.exec(sql)) {
    out += sql.slice(i, m.index);
    let end: number;
    if (m[0] === '--') {
      end = sql.indexOf('\n', m.index);
    } else if (m[0] === '/*') {
      end = sql.indexOf('*/', m.index + 2);
      if (end >= 0) end += 2;
      out += ' ';
    } else if (m[0] === "'") {
      end = m.index + 1;
      while (end < sql.length && !(sql[end] === "'" && sql[end + 1] !== "'")) end += sql[end] === "'" ? 2 : 1;
      end = Math.min(end + 1, sql.length);
      out += "''";
    } else {
      end = sql.indexOf(m[0], m.index + m[0].length);
      if (end >= 0) end += m[0].length;
      out += '$$';
    }
    i = end < 0 ? sql.length : end;
    special.lastIndex = i;
  }
  out += sql.slice(i);
  return out
    .split(';')
    .map((s) => s.replace(/\s+/g, ' ').trim().toLowerCase())
    .filter((s) => s.length > 0);
}

/** Splits at the commas outside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
    else if (text[i] === ',' && depth === 0) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(text.slice(start).trim());
  return parts.filter((p) => p.length > 0);
}

/** The text inside the parenthesis opening at `open`. */
function parenthesised(text: string, open: number): string {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return text.slice(open + 1, i);
  }
  return text.slice(open + 1);
}

const name = '([a-z_][a-z0-9_$]*)';
const qualified = `(?:${name}\\.)?${name}`;
/** A name that is not the keyword `constraint` (`rename constraint …`, `drop constraint …`). */
const columnName = `(?!constraint )${name}`;
const pattern = (source: string) => new RegExp(source);
/** Unqualified names are created in public (the deploy's search_path). */
const schemaOf = (schema: string | undefined) => schema ?? 'public';

/** Patterns tried in order on a text; the first that matches makes the operations. */
type Rule<C> = [RegExp, (m: RegExpExecArray, context: C) => Operation[]];
function firstMatch<C>(text: string, rules: Rule<C>[], context: C): Operation[] | null {
  for (const [re, make] of rules) {
    const m = re.exec(text);
    if (m) return make(m, context);
  }
  return null;
}

/** The words that end a column's type in its definition. */
const typeEnd = /\s(?:not|null|default|primary|unique|check|references|constraint|generated|collate)\b.*$/;
const constraintStart = /^(?:constraint|primary key|unique|check|foreign key|exclude|like)\b/;
const columnDefinition = pattern(`^${name}\\s+(.*)$`);

/** A column or attribute definition: its name and type as written (`serial` is `integer`). */
function columnOf(definition: string): { name: string; type: string } | null {
  if (constraintStart.test(definition)) return null;
  const found = columnDefinition.exec(definition);
  if (!found) return null;
  const type = found[2]!.replace(typeEnd, '').trim();
  const serial: Record<string, string> = { serial: 'integer', bigserial: 'bigint', smallserial: 'smallint' };
  return { name: found[1]!, type: serial[type] ?? type };
}

const namedConstraintIndex = pattern(`\\bconstraint ${name} (?:primary key|unique|exclude)\\b`);

/** Indexes a table's named PRIMARY KEY, UNIQUE and EXCLUDE constraints create, by their names. */
function constraintIndexes(schema: string, items: string[]): Operation[] {
  return items.flatMap((item) => {
    const found = namedConstraintIndex.exec(item);
    return found ? [{ op: 'create relation' as const, kind: 'index' as const, schema, name: found[1]!, columns: [] }] : [];
  });
}

const addColumn = (schema: string, table: string, definition: string): Operation[] => {
  const column = columnOf(definition);
  return column ? [{ op: 'create column', schema, table, column: column.name, type: column.type }] : [];
};

/** The actions of an ALTER TABLE or ALTER TYPE on `schema.object`. */
const alterRules: Rule<{ schema: string; object: string }>[] = [
  [
    pattern(`^rename (?:column |attribute )?${columnName} to ${name}$`),
    (m, { schema, object }) => [{ op: 'rename column', schema, table: object, from: m[1]!, to: m[2]! }],
  ],
  [
    pattern(`^rename to ${name}$`),
    (m, { schema, object }) => [{ op: 'move relation', schema, name: object, toSchema: schema, toName: m[1]! }],
  ],
  [
    pattern(`^set schema ${name}$`),
    (m, { schema, object }) => [{ op: 'move relation', schema, name: object, toSchema: m[1]!, toName: object }],
  ],
  [
    pattern(`^drop (?:column |attribute )?(?:if exists )?${columnName}(?: cascade| restrict)?$`),
    (m, { schema, object }) => [{ op: 'drop', key: columnKey(schema, object, m[1]!) }],
  ],
  [/^add ((?:constraint|primary key|unique|check|foreign key|exclude)\b.*)$/, (m, { schema }) => constraintIndexes(schema, [m[1]!])],
  [/^add (?:column |attribute )?(?:if not exists )?(.*)$/, (m, { schema, object }) => addColumn(schema, object, m[1]!)],
];

const alter = (schema: string, object: string, actions: string) =>
  splitTopLevel(actions).flatMap((action) => firstMatch(action, alterRules, { schema, object }) ?? []);

const dropKinds: Record<string, (schema: string, object: string) => ObjectKey> = {
  table: relationKey,
  view: relationKey,
  'materialized view': relationKey,
  index: relationKey,
  sequence: relationKey,
  type: relationKey,
  domain: relationKey,
  function: functionKey,
  procedure: functionKey,
  routine: functionKey,
};
const qualifiedName = pattern(`^${qualified}`);

function drops(kind: string, targets: string): Operation[] {
  return splitTopLevel(targets.replace(/ (?:cascade|restrict)$/, '')).flatMap((target) => {
    const object = qualifiedName.exec(target);
    return object ? [{ op: 'drop' as const, key: dropKinds[kind]!(schemaOf(object[1]), object[2]!) }] : [];
  });
}

function createTable(s: string, m: RegExpExecArray): Operation[] {
  const schema = schemaOf(m[1]);
  const items = splitTopLevel(parenthesised(s, m[0].length - 1));
  const columns = items.map(columnOf).filter((c) => c !== null);
  return [{ op: 'create relation', kind: 'table', schema, name: m[2]!, columns }, ...constraintIndexes(schema, items)];
}

function createType(s: string, m: RegExpExecArray): Operation[] {
  const open = s.indexOf('(', m[0].length);
  const composite = open >= 0 && / as \($/.test(s.slice(m[0].length, open + 1));
  const columns = composite ? splitTopLevel(parenthesised(s, open)).map(columnOf) : [];
  return [{ op: 'create relation', kind: 'type', schema: schemaOf(m[1]), name: m[2]!, columns: columns.filter((c) => c !== null) }];
}

const relation = (kind: RelationKind, schema: string | undefined, object: string): Operation[] => [
  { op: 'create relation', kind, schema: schemaOf(schema), name: object, columns: [] },
];

/** The statements read, by their first words. */
const statementRules: Rule<string>[] = [
  [pattern(`^create schema (?:if not exists )?${name}`), (m) => [{ op: 'create schema', schema: m[1]! }]],
  [pattern(`^create (?:unlogged |temporary |temp )?table (?:if not exists )?${qualified}\\s*\\(`), (m, s) => createTable(s, m)],
  [
    pattern(`^create (?:unique )?index (?:concurrently )?(?:if not exists )?${name} on (?:only )?${qualified}`),
    (m) => relation('index', m[2], m[1]!),
  ],
  [
    pattern(`^create (or replace )?(?:function|procedure) ${qualified}\\s*\\(`),
    (m) => [{ op: 'create function', schema: schemaOf(m[2]), name: m[3]!, orReplace: m[1] !== undefined }],
  ],
  [pattern(`^create (?:type|domain) ${qualified}`), (m, s) => createType(s, m)],
  [pattern(`^create (?:or replace )?(?:materialized )?view ${qualified}`), (m) => relation('view', m[1], m[2]!)],
  [pattern(`^create sequence (?:if not exists )?${qualified}`), (m) => relation('sequence', m[1], m[2]!)],
  [pattern(`^alter (?:table|type) (?:if exists )?(?:only )?${qualified} (.*)$`), (m) => alter(schemaOf(m[1]), m[2]!, m[3]!)],
  [
    /^drop (table|materialized view|view|index|sequence|type|domain|function|procedure|routine) (?:if exists )?(.*)$/,
    (m) => drops(m[1]!, m[2]!),
  ],
  [pattern(`^drop schema (?:if exists )?${name}`), (m) => [{ op: 'drop', key: schemaKey(m[1]!) }]],
  // a policy or a trigger belongs to its table, one of the package's: nothing of anyone else's to meet
  [/^create (?:policy|trigger) /, () => []],
];

/** Every statement of a migration's up section that makes or removes an object, in order. */
export function readMigration(sql: string): ReadMigration {
  const operations: Operation[] = [];
  const unread: string[] = [];
  for (const s of topLevelStatements(sql)) {
    const ops = firstMatch(s, statementRules, s);
    if (ops) operations.push(...ops);
    else if (s.startsWith('create ')) unread.push(s.slice(0, 80));
  }
  return { operations, unread };
}
