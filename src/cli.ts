#!/usr/bin/env node
// `credits`: the operator's command line. The command line is checked in full before anything
// connects (a mistake exits 2 with the command's usage); then the command runs and exits 0, or 1
// on a refused or failed operation. The process is never cut short with process.exit(): it
// sets process.exitCode and ends when stdout has drained, so a pipe receives the whole output.
import { packageVersion, usageReminder } from './cli/help.js';
import { createContext, type Flags } from './cli/context.js';
import { parseCommandLine } from './cli/parse.js';
import { reportError } from './cli/report-error.js';
import { UsageError } from './cli/usage-error.js';

async function main(argv: string[]): Promise<number> {
  let command = '';
  let flags: Flags | undefined;
  try {
    const parsed = parseCommandLine(argv);
    if (parsed.kind === 'version') {
      process.stdout.write(`${packageVersion()}\n`);
      return 0;
    }
    if (parsed.kind === 'help') {
      process.stdout.write(parsed.text);
      return 0;
    }
    ({ flags } = parsed);
    command = parsed.spec.name;
    if (parsed.deprecatedAlias) {
      process.stderr.write(
        `credits: '${parsed.deprecatedAlias}' is deprecated, use '${command}' (the old name goes in the next release)\n`,
      );
    }
    return await parsed.spec.run(createContext(parsed.args, parsed.flags));
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`credits: ${error.message}\n\n${usageReminder(error.command)}`);
      return 2;
    }
    reportError(error, command, flags);
    return 1;
  }
}

// `credits refunds audit | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

process.exitCode = await main(process.argv.slice(2));
