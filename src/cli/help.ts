// Help texts, all built from the registry: the global usage, a group's (credits migrate --help)
// and a command's (credits expire-stale-generations --help, credits help expire-stale-generations).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../paths.js';
import { commands } from './registry.js';
import {
  commonOptions,
  optionCatalog,
  optionUses,
  synopsis,
  type CommandSpec,
  type OptionName,
  type OptionSpec,
  type OptionUse,
} from './spec.js';

const named = (names: OptionName[]): OptionUse[] => names.map((name) => ({ name }));

const exitCodes = 'Exit codes: 0 done, 1 refused, failed or not reachable, 2 usage error (nothing was run).';

function optionLines(uses: OptionUse[]): string {
  const rows = uses.map((use) => {
    const o: OptionSpec = optionCatalog[use.name];
    const help = `${use.required ? 'required: ' : ''}${use.help ?? o.help}`;
    const value = use.value ?? o.value;
    return [`${o.short ? `-${o.short}, ` : ''}--${use.name}${value ? ` ${value}` : ''}`, help] as const;
  });
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, help]) => `  ${left.padEnd(width)}  ${help}`).join('\n');
}

function commandLines(specs: CommandSpec[]): string {
  const rows = specs.map(
    (c) => [[c.name, ...c.arguments.map((a) => (a.required ? `<${a.name}>` : `[${a.name}]`))].join(' '), c.summary] as const,
  );
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, summary]) => `  ${left.padEnd(width)}  ${summary}`).join('\n');
}

export function globalUsage(): string {
  return `Usage: credits <command> [options]

Commands:
${commandLines(commands)}

Deprecated names (accepted until the next release): ${commands
    .flatMap((c) => (c.deprecatedAliases ?? []).map((a) => `${a} → ${c.name}`))
    .join(', ')}.

Common options (every command):
${optionLines(named([...commonOptions, 'version']))}

Run \`credits help <command>\` (or \`credits <command> --help\`) for a command's options.
${exitCodes}
`;
}

export function groupHelp(group: string): string {
  const specs = commands.filter((c) => c.name.startsWith(`${group} `));
  return `Usage: credits ${group} <${specs.map((c) => c.name.split(' ')[1]).join('|')}> [options]

Commands:
${commandLines(specs)}

Run \`credits help ${group} <command>\` for a command's options.
${exitCodes}
`;
}

export function commandHelp(spec: CommandSpec): string {
  return `Usage: credits ${synopsis(spec)} [common options]

${spec.description}
${spec.options.length ? `\nOptions:\n${optionLines(optionUses(spec))}\n` : ''}
Common options:
${optionLines(named(commonOptions))}

${exitCodes}
`;
}

/** The short reminder printed under a usage error. */
export function usageReminder(command?: string): string {
  if (!command) return globalUsage();
  const spec = commands.find((c) => c.name === command);
  if (!spec) return groupHelp(command);
  return `Usage: credits ${synopsis(spec)}\nRun \`credits help ${command}\` for details.\n`;
}

export function packageVersion(): string {
  return (JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
}
