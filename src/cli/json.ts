// The one way the CLI writes JSON, with the kinds of value of the typed client (docs/client.md):
// credits and counts as JSON numbers, money as decimal strings, timestamps as ISO 8601 in UTC as
// jsonb writes them (2026-11-29T22:50:25.123+00:00). The client's results already are JSON data;
// this also serialises what the CLI reads with plain SQL (a Date, a bigint sum).
const maxSafe = BigInt(Number.MAX_SAFE_INTEGER);

/** A bigint as the JSON number it equals; past 2^53 - 1 refused, as the client refuses it. */
export function bigintToJson(value: bigint): number {
  if (value > maxSafe || value < -maxSafe) throw new RangeError(`${value} is beyond what a JSON number holds exactly (2^53 - 1)`);
  return Number(value);
}

/** A timestamp as jsonb writes a timestamptz in UTC: no trailing zeros in the fraction. */
export function timestampToJson(value: Date): string {
  return value.toISOString().replace(/\.?0*Z$/, '+00:00');
}

export function toJson(data: unknown): string {
  return JSON.stringify(
    data,
    function (this: Record<string, unknown>, key, value: unknown) {
      const raw = this[key]; // before Date.prototype.toJSON ran
      if (raw instanceof Date) return timestampToJson(raw);
      if (typeof value === 'bigint') return bigintToJson(value);
      return value;
    },
    2,
  );
}
