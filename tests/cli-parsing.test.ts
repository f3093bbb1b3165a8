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
