// The API reference (docs/api.md), generated from the catalog introspect.ts reads (the one the
// client is generated from) and the definitions' files, so it cannot drift from them: each function's and procedure's arguments
// with their defaults, its result, whether it is SECURITY DEFINER and who may call it (from the
// grants), its `comment on`; each view's columns, comment and readers; and the prose of the
// file's header (what it does, Arguments, Result, Errors…). The guide around it, with
// examples, is docs/calling.md (written by hand).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { packageRoot } from '../../src/paths.js';
import { type CrossReference, crossReference } from './cross-reference.js';
import type { Catalog, CatalogFunction, CatalogView } from './introspect.js';
import { outputsOf } from './render.js';

/** The reference's chapters: each folder of callable definitions, named after its schema. */
const chapters = [
  {
    folder: 'functions/public/',
    title: 'RPC functions (schema public)',
    intro:
      "What applications call: charging, failing, refunding, granting and allocating credits; balances, history and statements; the provider glue's entry points; the admin document; the ledger check.",
  },
  {
    folder: 'functions/monitoring/',
    title: 'Monitoring functions (schema monitoring)',
    intro: "The rollups' refresh, and what the monitoring views call.",
  },
  {
    folder: 'views/public/',
    title: "End users' views (schema public)",
    intro: 'What an end user reads of their own generations and ledger rows.',
  },
  {
    folder: 'views/monitoring/',
    title: 'Monitoring views (schema monitoring)',
    intro: "The analysts' views; their questions and example queries are in [monitoring.md](monitoring.md#the-views).",
  },
];

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

function signature(r: CatalogFunction): string {
  const outputs = outputsOf(r);
  const args = r.argumentText ? splitTopLevel(r.argumentText).filter((a) => !/^(OUT|TABLE) /.test(a)) : [];
  const inArgs = args.map((a) => a.replace(/^IN /, '').replace(/ DEFAULT (.*)$/, (_, d: string) => ` default ${plainDefault(d)}`));
  const head = `${r.schema === 'public' ? '' : `${r.schema}.`}${r.name}(`;
  const argText = inArgs.join(', ').length + head.length > 96 ? `\n  ${inArgs.join(',\n  ')}\n` : inArgs.join(', ');
  const result =
    r.kind === 'p'
      ? ''
      : outputs.length > 0
        ? ` → ${r.returnsSet ? 'setof ' : ''}${r.returnType === 'record' ? '' : `${r.returnType} `}(${outputs.map((o) => `${o.name} ${o.type}`).join(', ')})`
        : ` → ${r.returnsSet ? 'setof ' : ''}${r.returnType}`;
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

/** Its own tests and its users, linked: where to look next without searching. */
function whereUsed(refs: CrossReference, schema: string, name: string): string[] {
  const link = (file: string) => `[\`${file}\`](../${file})`;
  const tests = refs.testsOf(schema, name);
  const users = refs.usedBy(schema, name);
  return [
    `Tests: ${tests.length ? tests.map(link).join(', ') : 'none of its own (see tests/rules/ and tests/*.test.ts)'}.`,
    users.length
      ? `Used by: ${users.map((u) => (u.includes('/') ? link(u) : `\`${u}\``)).join(', ')}.`
      : 'Used by: no definition or module of the package: the application calls it.',
    '',
  ];
}

function routineSection(r: CatalogFunction, sql: string, refs: CrossReference): string {
  const title = `${r.schema === 'public' ? '' : `${r.schema}.`}${r.name}`;
  const notes = r.annotations;
  const out = [`### ${title}${r.kind === 'p' ? ' (procedure)' : ''}`, ''];
  if (r.comment) out.push(`> ${r.comment}`, '');
  out.push('```', signature(r), '```', '');
  const list = paragraphs(headerOf(sql, r.name));
  const security = list.find((p) => p.label?.startsWith('SECURITY'));
  const facts = [
    `[\`${r.file}\`](../${r.file})`,
    rights(r.callers, r.kind === 'p' ? 'callable' : 'executable'),
    security
      ? `${security.label}${security.colon ? ':' : ''} ${security.text}`
      : r.securityDefiner
        ? 'SECURITY DEFINER'
        : 'SECURITY INVOKER',
  ];
  out.push(facts.join(' · '), '');
  out.push(...whereUsed(refs, r.schema, r.name));
  out.push(...renderParagraphs(list, ['Never null', 'Document type', 'SECURITY DEFINER', 'SECURITY INVOKER']));
  const outputs = outputsOf(r);
  if (outputs.length > 0) {
    out.push('| result column | type | never null |', '|---|---|---|');
    for (const o of outputs) out.push(`| \`${o.name}\` | \`${o.type}\` | ${notes.neverNull.includes(o.name) ? 'yes' : ''} |`);
    out.push('');
  } else if (r.kind === 'f') {
    out.push(
      `Result: \`${r.returnType}\`${notes.neverNull.includes('the result') ? ', never null' : ''}${notes.documentType ? ` (TypeScript: \`${notes.documentType}\`, src/client/documents.ts)` : ''}.`,
      '',
    );
  }
  return out.join('\n');
}

function viewSection(v: CatalogView, sql: string, refs: CrossReference): string {
  const notes = v.annotations;
  const out = [`### ${v.schema}.${v.name}`, ''];
  if (v.comment) out.push(`> ${v.comment}`, '');
  out.push(`[\`${v.file}\`](../${v.file}) · ${rights(v.readers, 'readable')}`, '');
  out.push(...whereUsed(refs, v.schema, v.name));
  out.push(...renderParagraphs(paragraphs(headerOf(sql, v.name)), ['Never null']));
  out.push('| column | type | never null |', '|---|---|---|');
  for (const c of v.columns) out.push(`| \`${c.name}\` | \`${c.type}\` | ${notes.neverNull.includes(c.name) ? 'yes' : ''} |`);
  out.push('');
  return out.join('\n');
}

/** The private schemas' definitions in one table each: not an API, but where to look and who uses them. */
function helperChapter(refs: CrossReference): string[] {
  const out = [
    '## Helpers (schemas credits_private and monitoring_private)',
    '',
    'Not an API: nobody but the owner may call them. Each is listed with what it is, its own tests and what uses it.',
    '',
  ];
  const helpers = refs.helpers();
  for (const schema of [...new Set(helpers.map((h) => h.schema))].sort()) {
    out.push(`### ${schema}`, '', '| name | what | tests | used by |', '|---|---|---|---|');
    for (const h of helpers.filter((x) => x.schema === schema).sort((a, b) => a.object.localeCompare(b.object))) {
      const tests = refs.testsOf(h.schema, h.object).map((f) => `[${path.posix.basename(f)}](../${f})`);
      const users = refs.usedBy(h.schema, h.object).map((u) => (u.includes('/') ? `[${path.posix.basename(u)}](../${u})` : `\`${u}\``));
      out.push(
        `| [\`${h.object}\`](../${h.file})${h.kind === 'view' ? ' (view)' : ''} | ${h.summary.replace(/\|/g, '\\|')} | ${tests.join(', ')} | ${users.join(', ')} |`,
      );
    }
    out.push('');
  }
  return out;
}

/** The reference of the catalog's functions, procedures and views, in their files' order. */
export async function renderReference(catalog: Catalog): Promise<string> {
  const byFile = <T extends { file: string }>(a: T, b: T) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0);
  const routines = [...catalog.functions, ...catalog.procedures].sort(byFile);
  const views = [...catalog.views].sort(byFile);
  const text = async (file: string) => readFile(path.join(packageRoot, file), 'utf8');
  const refs = await crossReference();

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
      body.push(routineSection(r, await text(r.file), refs));
    }
    for (const v of views.filter((x) => inChapter(x.file))) {
      index.push(`| [\`${v.schema}.${v.name}\`](#${anchor(`${v.schema}.${v.name}`)}) | ${chapter.title} | ${v.comment ?? ''} |`);
      body.push(viewSection(v, await text(v.file), refs));
    }
  }
  body.push(...helperChapter(refs));
  return `${[...out, ...index, '', ...body]
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}
