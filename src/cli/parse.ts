// The command line → a command to run with validated flags, a help text, or the version. Every
// check happens here, before anything connects: a mistake is a UsageError (exit 2) naming the
// argument.
import { parseArgs } from 'node:util';
import type { Flags } from './context.js';
import { commandHelp, globalUsage, groupHelp } from './help.js';
import { commands } from './registry.js';
import { commonOptions, optionCatalog, optionUses, type CommandSpec, type OptionSpec, type OptionUse } from './spec.js';
import { UsageError } from './usage-error.js';
import { connectTimeout, databaseUrl } from './validate.js';

export type ParsedCommandLine =
  | { kind: 'help'; text: string }
  | { kind: 'version' }
  | { kind: 'run'; spec: CommandSpec; args: string[]; flags: Flags; deprecatedAlias?: string };

export const defaultConnectTimeout = 10;

/** The command named by the leading words (or a former name of it), or the group they name ('migrate'). */
function resolve(words: string[]): { spec: CommandSpec; rest: string[]; alias?: string } | { group: string } {
  const two = commands.find((c) => c.name === `${words[0]} ${words[1]}`);
  if (two) return { spec: two, rest: words.slice(2) };
  const one = commands.find((c) => c.name === words[0]);
  if (one) return { spec: one, rest: words.slice(1) };
  const former = commands.find((c) => c.deprecatedAliases?.includes(words[0]!));
  if (former) return { spec: former, rest: words.slice(1), alias: words[0]! };
  if (commands.some((c) => c.name.startsWith(`${words[0]} `))) return { group: words[0]! };
  throw new UsageError(`unknown command: ${words.join(' ')}`);
}

export function parseCommandLine(argv: string[], env: NodeJS.ProcessEnv = process.env): ParsedCommandLine {
  const { tokens } = parseArgs({ args: argv, options: optionCatalog, strict: false, allowPositionals: true, tokens: true });
  const options = tokens.flatMap((t) => (t.kind === 'option' ? [t] : []));
  let words = tokens.flatMap((t) => (t.kind === 'positional' ? [t.value] : []));
  if (options.some((t) => t.name === 'version')) return { kind: 'version' };

  let wantsHelp = options.some((t) => t.name === 'help');
  if (words[0] === 'help') [wantsHelp, words] = [true, words.slice(1)];
  if (words.length === 0) {
    if (wantsHelp) return { kind: 'help', text: globalUsage() };
    throw new UsageError('no command given');
  }
  const found = resolve(words);
  if ('group' in found) {
    if (wantsHelp && words.length === 1) return { kind: 'help', text: groupHelp(found.group) };
    throw new UsageError(
      words[1] === undefined ? `${found.group} needs a command` : `unknown ${found.group} command: ${words[1]}`,
      found.group,
    );
  }
  const { spec, rest } = found;
  if (wantsHelp) return { kind: 'help', text: commandHelp(spec) };
  try {
    return { kind: 'run', spec, ...checkCommand(spec, rest, options, env), ...(found.alias ? { deprecatedAlias: found.alias } : {}) };
  } catch (error) {
    // The reminder under the message is this command's usage.
    if (error instanceof UsageError && !error.command) throw new UsageError(error.message, spec.name);
    throw error;
  }
}

type OptionToken = { name: string; rawName: string; value?: string };

/** The flag each boolean option sets (help and version are answered before a command is checked). */
const booleanFlags: Record<string, 'json' | 'apply' | 'refresh' | 'serve' | 'verbose' | 'dryRun' | 'off'> = {
  json: 'json',
  apply: 'apply',
  refresh: 'refresh',
  serve: 'serve',
  verbose: 'verbose',
  'dry-run': 'dryRun',
  off: 'off',
};

/** The command's options (only those it takes), the environment's defaults, then its arguments. */
function checkCommand(spec: CommandSpec, rest: string[], options: OptionToken[], env: NodeJS.ProcessEnv): { args: string[]; flags: Flags } {
  const flags: Flags = { databaseUrl: '', connectTimeout: defaultConnectTimeout, json: false, apply: false, refresh: false };
  const uses = new Map<string, OptionUse>([...commonOptions.map((name) => ({ name })), ...optionUses(spec)].map((u) => [u.name, u]));
  for (const t of options) {
    const use = uses.get(t.name);
    if (!use) throw new UsageError(`${spec.name} does not take ${t.rawName}`, spec.name);
    const option: OptionSpec = optionCatalog[use.name];
    if (option.type === 'boolean') {
      if (t.value !== undefined) throw new UsageError(`${t.rawName} takes no value`, spec.name);
      const flag = booleanFlags[t.name];
      if (flag) flags[flag] = true;
    } else {
      if (t.value === undefined) throw new UsageError(`${t.rawName} needs a value`, spec.name);
      option.set!(flags, t.value, t.rawName, use);
    }
  }
  const explicit = (name: string) => options.some((t) => t.name === name);
  for (const use of uses.values()) if (use.required && !explicit(use.name)) throw new UsageError(`--${use.name} is required`, spec.name);
  if (!explicit('database-url')) {
    if (!env.DATABASE_URL) throw new UsageError('no database: set DATABASE_URL or pass --database-url URL', spec.name);
    flags.databaseUrl = databaseUrl(env.DATABASE_URL, 'DATABASE_URL');
  }
  if (!explicit('connect-timeout') && env.PGCONNECT_TIMEOUT)
    flags.connectTimeout = connectTimeout(env.PGCONNECT_TIMEOUT, 'PGCONNECT_TIMEOUT');

  const args = spec.arguments.flatMap((a, i) => {
    if (rest[i] === undefined) {
      if (a.required) throw new UsageError(`${spec.name} needs <${a.name}>`, spec.name);
      return [];
    }
    return [a.check(rest[i], `<${a.name}>`)];
  });
  if (rest.length > spec.arguments.length) throw new UsageError(`unexpected argument: ${rest[spec.arguments.length]}`, spec.name);
  spec.check?.(flags, env);
  return { args, flags };
}
