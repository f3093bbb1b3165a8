// The CLI's local checks and its one JSON writer, without a process or a database.
import { describe, expect, it } from 'vitest';
import { parseInterval } from '../src/cli/interval.js';
import { toJson } from '../src/cli/json.js';
import { UsageError } from '../src/cli/usage-error.js';

describe('--older-than grammar', () => {
  it.each([
    ['30 minutes', '30 minutes', 1800],
    ['45min', '45 minutes', 2700],
    ['1 hour 30 minutes', '1 hour 30 minutes', 5400],
    ['1h30m', '1 hour 30 minutes', 5400],
    ['1.5h', '1.5 hours', 5400],
    ['90s', '90 seconds', 90],
    ['2 Days', '2 days', 172_800],
    ['1 week', '1 week', 604_800],
    ['00:45:00', '00:45:00', 2700],
    ['1:30', '1:30', 5400],
  ])('accepts %j as %j (%d s)', (text, interval, seconds) => {
    expect(parseInterval(text, '--older-than')).toEqual({ interval, seconds });
  });

  it.each([
    'banana',
    '',
    '30',
    'minutes',
    '30 fortnights',
    '0 minutes',
    '500 ms',
    '2 years',
    '400 days',
    '-5 minutes',
    "1 hour'; drop table x; --",
    '12:75',
  ])('refuses %j naming the option', (text) => {
    expect(() => parseInterval(text, '--older-than')).toThrow(UsageError);
    expect(() => parseInterval(text, '--older-than')).toThrow(/--older-than/);
  });
});

describe('toJson', () => {
  it('writes bigints as the numbers they equal, and timestamps as jsonb does in UTC', () => {
    const data = {
      small: 42n,
      edge: BigInt(Number.MAX_SAFE_INTEGER),
      at: new Date('2026-11-29T22:50:25.120Z'),
      whole: new Date('2026-11-29T22:50:20.000Z'),
      nested: [{ credits: 7n }],
    };
    expect(JSON.parse(toJson(data))).toEqual({
      small: 42,
      edge: Number.MAX_SAFE_INTEGER,
      at: '2026-11-29T22:50:25.12+00:00',
      whole: '2026-11-29T22:50:20+00:00',
      nested: [{ credits: 7 }],
    });
  });

  it('refuses a bigint a JSON number cannot hold exactly, as the typed client does', () => {
    expect(() => toJson({ big: 2n ** 63n - 1n })).toThrow(RangeError);
    expect(() => toJson({ negative: -(2n ** 60n) })).toThrow(RangeError);
  });
});

describe('help texts', () => {
  it("every command's help is filled in: no template placeholder left", async () => {
    const { commands } = await import('../src/cli/registry.js');
    const { commandHelp } = await import('../src/cli/help.js');
    for (const spec of commands) expect(commandHelp(spec), spec.name).not.toMatch(/\$\{/);
  });
});

describe('each command its own options (issue 22)', () => {
  const env = { DATABASE_URL: 'postgres://operator@127.0.0.1:5432/ledger' };
  const user = '44444444-4444-4444-8444-444444444444';
  const parse = async (...argv: string[]) => (await import('../src/cli/parse.js')).parseCommandLine(argv, env);
  const usageError = async (...argv: string[]) => {
    const error = await parse(...argv).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UsageError);
    return (error as UsageError).message;
  };
  const help = async (name: string) => {
    const { commands } = await import('../src/cli/registry.js');
    const { commandHelp } = await import('../src/cli/help.js');
    return commandHelp(commands.find((c) => c.name === name)!);
  };

  it.each(['1 month', '30 days', '2 weeks', '12 hours', '7d', '1 year', 'P1M', '1 mon 2 days'])(
    'promote takes --valid-for %j as PostgreSQL reads an interval (the typed client passes it on too)',
    async (validFor) => {
      const parsed = await parse('grant-promotional-credits', user, '5', '--valid-for', validFor, '--reason', 'launch', '--key', 'k1');
      expect(parsed).toMatchObject({ kind: 'run', flags: { validFor } });
    },
  );

  it.each([
    [['sweep'], 'expire-stale-generations'],
    [['allocate'], 'allocate-monthly-credits'],
    [['expire-promotions'], 'expire-promotional-credits'],
    [['tier', user, 'pro', '--key', 'k1'], 'change-tier'],
    [['promote', user, '5', '--valid-for', '7d', '--reason', 'launch', '--key', 'k1'], 'grant-promotional-credits'],
  ])('still takes the former name %j for one release, as %s, saying so', async (argv, name) => {
    const parsed = await parse(...argv);
    expect(parsed).toMatchObject({ kind: 'run', spec: { name }, deprecatedAlias: argv[0] });
    const current = await parse(name, ...argv.slice(1));
    expect(current).not.toHaveProperty('deprecatedAlias');
    expect((current as { flags: unknown }).flags).toEqual((parsed as { flags: unknown }).flags);
  });

  it('refuses a blank --valid-for before connecting', async () => {
    expect(await usageError('grant-promotional-credits', user, '5', '--valid-for', '  ', '--reason', 'launch', '--key', 'k1')).toContain(
      '--valid-for',
    );
  });

  it('shows required options without brackets and optional ones with, in the usage line', async () => {
    const { commands } = await import('../src/cli/registry.js');
    const { synopsis } = await import('../src/cli/spec.js');
    const usage = (name: string) => synopsis(commands.find((c) => c.name === name)!);
    expect(usage('change-tier')).toBe('change-tier <user-id> <tier> --key KEY');
    expect(usage('grant-promotional-credits')).toBe(
      'grant-promotional-credits <user-id> <credits> --valid-for INTERVAL --reason TEXT --key KEY [--label TEXT]',
    );
    expect(usage('history')).toBe('history <user-id> [--limit N] [--before ID]');
    // a command that takes fewer forms of a value than the catalog says shows its own
    expect(usage('tiers set')).toBe(
      'tiers set <tier> --allowance N [--threshold N|none] [--max-in-flight N|none] [--daily-credits N|none] [--rollover-cap N]',
    );
    expect(usage('expire-stale-generations')).toBe('expire-stale-generations [--older-than INTERVAL] [--limit N]');
    expect(await usageError('change-tier', user, 'pro')).toBe('--key is required');
    expect(usage('set-auto-top-up')).toBe('set-auto-top-up <user-id> [--threshold N] [--target N] [--monthly-limit N|none] [--off]');
    expect(await usageError('set-auto-top-up', user, '--threshold', '10')).toContain('--threshold N and --target N');
    expect(await usageError('set-auto-top-up', user, '--off', '--target', '10')).toContain('or --off alone');
    expect(await usageError('set-auto-top-up', user, '--threshold', 'none', '--target', '10')).toContain('--threshold N and --target N');
    expect(await usageError('decline-top-up', '0')).toContain('<event-id>');
    expect(usage('close-ledger')).toBe('close-ledger [--through TIME]');
    expect(await usageError('close-ledger', '--through', 'yesterday')).toContain('ISO 8601 instant');
  });

  it.each([
    ['history', 1000],
    ['expire-stale-generations', 100_000],
    ['reconcile', 10_000],
    ['expire-promotional-credits', 100_000],
  ])('%s --limit quotes its own range, 1 to %d', async (command, max) => {
    const argv = command === 'history' ? [command, user] : [command];
    const env2 = { ...env, WAVESPEED_API_KEY: 'k' };
    const { parseCommandLine } = await import('../src/cli/parse.js');
    const refused = (limit: string) => {
      try {
        parseCommandLine([...argv, '--limit', limit], env2);
      } catch (e) {
        return (e as UsageError).message;
      }
      return undefined;
    };
    expect(refused('0')).toBe(`--limit takes a whole number from 1 to ${max}, got "0"`);
    expect(refused(String(max + 1))).toContain(`from 1 to ${max}`);
    expect(refused(String(max))).toBeUndefined();
    expect(await help(command)).toContain(`1-${max}`);
  });

  it("describes in a command's help only that command's options", async () => {
    const { commands } = await import('../src/cli/registry.js');
    const sweep = await help('expire-stale-generations');
    const options = sweep.slice(sweep.indexOf('Options:'), sweep.indexOf('Common options:'));
    expect(options).toMatch(/--limit N +tasks per batch, 1-100000 \(default 1000\)/);
    expect(options).toMatch(/--older-than INTERVAL .*default '30 minutes'/);
    for (const spec of commands) {
      const text = await help(spec.name);
      const own = text.slice(text.indexOf('Options:'), text.indexOf('Common options:'));
      for (const other of commands.filter((c) => c !== spec && !c.name.includes(' ')))
        expect(own, `${spec.name}'s options mention ${other.name}`).not.toMatch(new RegExp(`\\b${other.name}[:)]`));
    }
  });
});
