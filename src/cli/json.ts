// The one way the CLI writes JSON, so every --json output gives the same figure the same shape:
// whole numbers (bigint included) as JSON numbers, or as decimal strings past 2^53 where a
// number would lose digits; timestamps as ISO 8601 in UTC, written as PostgreSQL's jsonb writes
// them (admin_credit_stats): 2026-11-29T22:50:25.123+00:00.
const maxSafe = BigInt(Number.MAX_SAFE_INTEGER);

/** A bigint as a JSON number when it is exact as one, else as its decimal string. */
export function bigintToJson(value: bigint): number | string {
  return value <= maxSafe && value >= -maxSafe ? Number(value) : value.toString();
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
