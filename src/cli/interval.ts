// The --older-than grammar, checked before connecting: one or more "<number> <unit>" parts
// ("45 minutes", "1 hour 30 minutes", "90s", "1.5h") or a clock time ("00:45:00", "1:30").
// Units are those PostgreSQL's interval input knows, with its abbreviations; the text passed to
// the server is rebuilt from the parts, so it is always valid interval input.
import { UsageError } from './usage-error.js';

const unitSeconds: [names: string[], seconds: number, canonical: string][] = [
  [['us', 'usec', 'usecs', 'microsecond', 'microseconds'], 1e-6, 'microseconds'],
  [['ms', 'msec', 'msecs', 'millisecond', 'milliseconds'], 1e-3, 'milliseconds'],
  [['s', 'sec', 'secs', 'second', 'seconds'], 1, 'seconds'],
  [['m', 'min', 'mins', 'minute', 'minutes'], 60, 'minutes'],
  [['h', 'hr', 'hrs', 'hour', 'hours'], 3600, 'hours'],
  [['d', 'day', 'days'], 86_400, 'days'],
  [['w', 'week', 'weeks'], 7 * 86_400, 'weeks'],
];
const units = new Map(unitSeconds.flatMap(([names, seconds, canonical]) => names.map((n) => [n, { seconds, canonical }] as const)));

export const intervalSyntax = `one or more "<number> <unit>" (${unitSeconds.map(([n]) => n.at(-1)).join(', ')}; or us, ms, s, m, min, h, d, w), or hh:mm[:ss]`;

/** The interval as PostgreSQL input and its length in seconds; a UsageError naming `flag` otherwise. */
export function parseInterval(text: string, flag: string): { interval: string; seconds: number } {
  const bad = (why: string) => new UsageError(`${flag} ${JSON.stringify(text)}: ${why}; expected ${intervalSyntax}, e.g. '30 minutes'`);
  const clock = /^\s*(\d{1,4}):([0-5]\d)(?::([0-5]\d(?:\.\d+)?))?\s*$/.exec(text);
  let seconds = 0;
  let interval: string;
  if (clock) {
    seconds = Number(clock[1]) * 3600 + Number(clock[2]) * 60 + Number(clock[3] ?? 0);
    interval = text.trim();
  } else {
    const parts: string[] = [];
    const rest = text
      .trim()
      .toLowerCase()
      .replace(/(\d+(?:\.\d+)?)\s*([a-z]+)\s*/g, (_, number: string, unit: string) => {
        const u = units.get(unit);
        if (!u) throw bad(`unknown unit "${unit}"`);
        seconds += Number(number) * u.seconds;
        parts.push(`${number} ${Number(number) === 1 ? u.canonical.slice(0, -1) : u.canonical}`);
        return '';
      });
    if (rest !== '' || parts.length === 0) throw bad('not an interval');
    interval = parts.join(' ');
  }
  // expire_stale_generations refuses less (CR003); a year bounds typing mistakes.
  if (seconds < 1) throw bad('less than 1 second');
  if (seconds > 366 * 86_400) throw bad('more than a year');
  return { interval, seconds };
}
