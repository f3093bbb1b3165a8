// The API reference (docs/api.md), generated from a migrated database's catalog and the
// definitions' files, so it cannot drift from them: each function's and procedure's arguments
// with their defaults, its result, whether it is SECURITY DEFINER and who may call it (from the
// grants), its `comment on`; each view's columns, comment and readers; and the prose of the
// file's header (what it does, Arguments, Result, Errors…). The guide around it, with
// examples, is docs/calling.md (written by hand).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type postgres from 'postgres';
import { packageRoot } from '../paths.js';
import { parseAnnotations } from './annotations.js';

/** The roles whose rights the reference shows, in this order. */
const roles = ['credits_service', 'credits_analyst', 'authenticated'] as const;

/** The reference's chapters: each folder of definitions, in the order a call flows. */
const chapters = [
  {
    folder: 'functions/ledger/',
    title: 'Ledger functions',
    intro: 'Charging, failing, refunding, granting and allocating credits; balances; the ledger check.',
  },
  {
    folder: 'functions/provider/',
    title: 'Provider results',
    intro: 'The entry points of the webhook and the reconciliation (src/wavespeed/).',
  },
  {
    folder: 'functions/monitoring/',
    title: 'Monitoring functions',
    intro: "The admin document, the rollups' refresh, and what the monitoring views call.",
  },
  { folder: 'views/ledger/', title: "End users' views", intro: 'What an end user reads of their own generations and ledger rows.' },
  {
    folder: 'views/monitoring/',
    title: 'Monitoring views',
    intro: "The analysts' views; their questions and example queries are in [monitoring.md](monitoring.md#the-views).",
  },
];

interface Routine {
  file: string;
  schema: string;
  name: string;
  kind: 'f' | 'p';
  comment: string | null;
  definer: boolean;
  args: string;
  returns_set: boolean;
  return_type: string;
  out_names: string[];
  out_types: string[];
  callers: string[];
}
interface View {
  file: string;
  schema: string;
  name: string;
  comment: string | null;
  columns: { name: string; type: string }[];
  readers: string[];
}

/** Header lines of a definition file (the comments before its first statement), without the "name: " lead. */
function headerOf(sql: string, name: string): string[] {
  const lines: string[] = [];
  for (const line of sql.split('\n')) {
    if (!line.startsWith('--')) break;
    lines.push(line.slice(line.startsWith('-- ') ? 3 : 2).trimEnd());
  }
  if (lines[0]?.startsWith(`${name}:`)) lines[0] = lines[0].slice(name.length + 1).trim();
  return lines;
}

/**
 * A header's paragraphs: the description, then each labelled one ("Errors: …" and the lines
 * after it, up to the next label). Indented lines (a list, an example) stay as written.
 */
const labels = ['Arguments', 'Result', 'Errors', 'Batches', 'Never null', 'Document type', 'SECURITY DEFINER', 'SECURITY INVOKER'];
interface Paragraph {
  label: string | null;
  colon?: boolean;
  text: string;
  verbatim: string[];
}
function paragraphs(lines: string[]): Paragraph[] {
  const out: Paragraph[] = [{ label: null, text: '', verbatim: [] }];
  for (const line of lines) {
    const label = labels.find((l) => line.startsWith(`${l}:`) || line.startsWith(`${l} `));
    const last = out.at(-1)!;
    if (label)
      out.push({ label, colon: line[label.length] === ':', text: line.slice(label.length).replace(/^:/, '').trim(), verbatim: [] });
    else if (/^\s{2,}\S/.test(line)) last.verbatim.push(line.replace(/^\s{2}/, ''));
    else if (last.verbatim.length > 0) out.push({ label: null, text: line.trim(), verbatim: [] });
    else last.text = `${last.text} ${line.trim()}`.trim();
  }
  return out.filter((p) => p.text !== '' || p.verbatim.length > 0);
}

const sentence = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

function renderParagraphs(list: Paragraph[], skip: string[]): string[] {
  const out: string[] = [];
  for (const p of list.filter((x) => !x.label || !skip.includes(x.label))) {
    if (p.text) out.push(p.label ? `**${p.label}:** ${p.label === 'Errors' ? errorLinks(p.text) : p.text}` : sentence(p.text), '');
    if (p.verbatim.length > 0) out.push('```', ...p.verbatim, '```', '');
  }
  return out;
}

/** Splits a deparsed list on its top-level commas (not those inside parentheses or quotes). */
function splitTopLevel(list: string): string[] {
  const parts: string[] = [];
  let depth = 0,
    quoted = false,
    current = '';
  for (const ch of list) {
    if (ch === "'") quoted = !quoted;
    else if (!quoted && ch === '(') depth++;
    else if (!quoted && ch === ')') depth--;
    if (ch === ',' && depth === 0 && !quoted) {
      parts.push(current.trim());
      current = '';
    } else current += ch;
  }
  if (current.trim()) parts.push(current.trim());
  return parts;
}

/** A default as its file writes it: `NULL::text` is null, `'callback'::text` is 'callback'. */
const plainDefault = (expr: string) => expr.replace(/^NULL::[\w ]+$/, 'null').replace(/^('(?:[^']|'')*')::[\w ]+$/, '$1');

function signature(r: Routine): string {
  const args = r.args ? splitTopLevel(r.args).filter((a) => !/^(OUT|TABLE) /.test(a)) : [];
  const inArgs = args.map((a) => a.replace(/^IN /, '').replace(/ DEFAULT (.*)$/, (_, d: string) => ` default ${plainDefault(d)}`));
  const head = `${r.schema === 'public' ? '' : `${r.schema}.`}${r.name}(`;
  const argText = inArgs.join(', ').length + head.length > 96 ? `\n  ${inArgs.join(',\n  ')}\n` : inArgs.join(', ');
  const result =
    r.kind === 'p'
      ? ''
      : r.out_names.length > 0
        ? ` → ${r.returns_set ? 'setof ' : ''}${r.return_type === 'record' ? '' : `${r.return_type} `}(${r.out_names.map((n, i) => `${n} ${r.out_types[i]}`).join(', ')})`
        : ` → ${r.returns_set ? 'setof ' : ''}${r.return_type}`;
  return `${r.kind === 'p' ? 'call ' : ''}${head}${argText})${result}`;
}

const errorLinks = (text: string) => text.replace(/\b(CR00\d|42501)\b/g, '[`$1`](error-codes.md)');
const rights = (list: string[], verb: string) =>
  list.length ? `${verb} by ${list.map((r) => `\`${r}\``).join(', ')}` : `${verb} by its owner only`;
const anchor = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9_ -]/g, '')
    .replace(/ /g, '-');

function routineSection(r: Routine, sql: string): string {
  const title = `${r.schema === 'public' ? '' : `${r.schema}.`}${r.name}`;
  const notes = parseAnnotations(sql, r.file);
  const out = [`### ${title}${r.kind === 'p' ? ' (procedure)' : ''}`, ''];
  if (r.comment) out.push(`> ${r.comment}`, '');
  out.push('```', signature(r), '```', '');
  const list = paragraphs(headerOf(sql, r.name));
  const security = list.find((p) => p.label?.startsWith('SECURITY'));
  const facts = [
    `[\`${r.file}\`](../${r.file})`,
    rights(r.callers, r.kind === 'p' ? 'callable' : 'executable'),
    security ? `${security.label}${security.colon ? ':' : ''} ${security.text}` : r.definer ? 'SECURITY DEFINER' : 'SECURITY INVOKER',
  ];
  out.push(facts.join(' · '), '');
  out.push(...renderParagraphs(list, ['Never null', 'Document type', 'SECURITY DEFINER', 'SECURITY INVOKER']));
  if (r.out_names.length > 0) {
    out.push('| result column | type | never null |', '|---|---|---|');
    for (const [i, n] of r.out_names.entries())
      out.push(`| \`${n}\` | \`${r.out_types[i]}\` | ${notes.neverNull.includes(n) ? 'yes' : ''} |`);
    out.push('');
  } else if (r.kind === 'f') {
    out.push(
      `Result: \`${r.return_type}\`${notes.neverNull.includes('the result') ? ', never null' : ''}${notes.documentType ? ` (TypeScript: \`${notes.documentType}\`, src/client/documents.ts)` : ''}.`,
      '',
    );
  }
  return out.join('\n');
}

function viewSection(v: View, sql: string): string {
  const notes = parseAnnotations(sql, v.file);
  const out = [`### ${v.schema}.${v.name}`, ''];
  if (v.comment) out.push(`> ${v.comment}`, '');
  out.push(`[\`${v.file}\`](../${v.file}) · ${rights(v.readers, 'readable')}`, '');
  out.push(...renderParagraphs(paragraphs(headerOf(sql, v.name)), ['Never null']));
  out.push('| column | type | never null |', '|---|---|---|');
  for (const c of v.columns) out.push(`| \`${c.name}\` | \`${c.type}\` | ${notes.neverNull.includes(c.name) ? 'yes' : ''} |`);
  out.push('');
  return out.join('\n');
}

export async function renderReference(sql: postgres.Sql): Promise<string> {
  const routines = await sql<Routine[]>`
    select d.name as file, n.nspname as schema, p.proname as name, p.prokind as kind,
           obj_description(p.oid, 'pg_proc') as comment, p.prosecdef as definer,
           pg_get_function_arguments(p.oid) as args,
           p.proretset as returns_set, format_type(p.prorettype, null) as return_type,
           coalesce(array(select p.proargnames[i] from generate_subscripts(p.proargmodes, 1) i
                           where p.proargmodes[i] in ('o', 't', 'b') order by i), '{}')
             || array(select a.attname::text from pg_type ty join pg_attribute a on a.attrelid = ty.typrelid and a.attnum > 0
                       where ty.oid = p.prorettype and ty.typtype = 'c' and p.proargmodes is null order by a.attnum) as out_names,
           coalesce(array(select format_type(p.proallargtypes[i], null) from generate_subscripts(p.proargmodes, 1) i
                           where p.proargmodes[i] in ('o', 't', 'b') order by i), '{}')
             || array(select format_type(a.atttypid, null) from pg_type ty join pg_attribute a on a.attrelid = ty.typrelid and a.attnum > 0
                       where ty.oid = p.prorettype and ty.typtype = 'c' and p.proargmodes is null order by a.attnum) as out_types,
           array(select r from unnest(${roles as unknown as string[]}::text[]) with ordinality u(r, o)
                  where has_function_privilege(r, p.oid, 'execute') order by o) as callers
      from pg_proc p
      join pg_namespace n on n.oid = p.pronamespace
      join credits_meta.definitions d on d.kind = 'function' and d.schema = n.nspname and d.object = p.proname
     where n.nspname in ('public', 'monitoring')
     order by d.name, p.oid`;
  const viewRows = await sql<
    { file: string; schema: string; name: string; comment: string | null; readers: string[]; column: string; type: string }[]
  >`
    select d.name as file, n.nspname as schema, c.relname as name, obj_description(c.oid, 'pg_class') as comment,
           array(select r from unnest(${roles as unknown as string[]}::text[]) with ordinality u(r, o)
                  where has_table_privilege(r, c.oid, 'select') or has_any_column_privilege(r, c.oid, 'select') order by o) as readers,
           a.attname as column, format_type(a.atttypid, a.atttypmod) as type
      from pg_class c
      join pg_namespace n on n.oid = c.relnamespace
      join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
      join credits_meta.definitions d on d.kind = 'view' and d.schema = n.nspname and d.object = c.relname
     where n.nspname in ('public', 'monitoring') and c.relkind = 'v'
     order by d.name, a.attnum`;
  const views = new Map<string, View>();
  for (const row of viewRows) {
    const view = views.get(row.file) ?? {
      file: row.file,
      schema: row.schema,
      name: row.name,
      comment: row.comment,
      readers: row.readers,
      columns: [],
    };
    view.columns.push({ name: row.column, type: row.type });
    views.set(row.file, view);
  }
  const text = async (file: string) => readFile(path.join(packageRoot, file), 'utf8');

  const out = [
    '# API reference',
    '',
    "<!-- Generated by `npm run codegen` from a migrated database's catalog and the headers of",
    '     functions/ and views/; tests/codegen.test.ts fails when it is stale. Do not edit: change',
    "     the definition's file (its header, its `comment on`, its grants) and run codegen. -->",
    '',
    'Every function and view an application, a scheduler or an analyst may call or read, as the',
    "database holds it: arguments and defaults, results, who may call, and what each file's header",
    'says. Conventions (naming, limits, blank text, bigint credits), examples in SQL, supabase-js',
    'and the postgres client, the roles and what end users read: [calling.md](calling.md). Error',
    'codes: [error-codes.md](error-codes.md). Helpers of `credits_private` and `monitoring_private`',
    'are not an API: nobody but the owner may call them.',
    '',
  ];
  const index = ['| name | part | what it does |', '|---|---|---|'];
  const body: string[] = [];
  for (const chapter of chapters) {
    body.push(`## ${chapter.title}`, '', chapter.intro, '');
    const inChapter = (file: string) => file.startsWith(chapter.folder) && !file.slice(chapter.folder.length).includes('/');
    for (const r of routines.filter((x) => inChapter(x.file))) {
      const title = `${r.schema === 'public' ? '' : `${r.schema}.`}${r.name}`;
      index.push(
        `| [\`${title}\`](#${anchor(`${title}${r.kind === 'p' ? ' (procedure)' : ''}`)}) | ${chapter.title} | ${r.comment ?? ''} |`,
      );
      body.push(routineSection(r, await text(r.file)));
    }
    for (const v of [...views.values()].filter((x) => inChapter(x.file))) {
      index.push(`| [\`${v.schema}.${v.name}\`](#${anchor(`${v.schema}.${v.name}`)}) | ${chapter.title} | ${v.comment ?? ''} |`);
      body.push(viewSection(v, await text(v.file)));
    }
  }
  return `${[...out, ...index, '', ...body]
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}
