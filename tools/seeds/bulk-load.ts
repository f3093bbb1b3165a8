// Bulk loading, for histories of tens of millions of rows: rows streamed through COPY FROM STDIN,
// each table on a connection of its own (the tables load side by side), written field by field
// straight into buffers (CopyWriter), with the tables' indexes set aside for the load and built
// again afterwards, one sort each instead of one random insert per row and index. The indexes of
// primary keys and unique constraints go with their constraints and come back with them; what the
// tables have before the load (every index, every constraint, by name and definition) they have
// after, which is checked.
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import postgres from 'postgres';

/** A table and the columns its COPY rows give, in order (the others take their defaults). */
export interface CopyTarget {
  table: string;
  columns: readonly string[];
}

const chunkSize = 1 << 20;
const day = 86_400_000_000; // microseconds
const [tab, newline, backslash, hyphen] = [9, 10, 92, 45];

/** A small number's (under 2^31) last `width` decimal digits, zero-padded, at `at`; returns where they end. */
function digits(chunk: Buffer, at: number, value: number, width: number): number {
  for (let i = width - 1; i >= 0; i--, value = (value / 10) | 0) chunk[at + i] = 48 + (value % 10);
  return at + width;
}

/**
 * COPY's text rows for one table, written field by field straight into buffers: building each
 * row as a string first costs several times more (its pieces, then flattening them, then the
 * garbage). A field is written with the tab that follows it (null as \N); endRow turns the
 * last one into the newline.
 */
export class CopyWriter {
  #failure: Error | undefined;
  #chunk = Buffer.allocUnsafe(chunkSize);
  #start = 0; // the chunk's first byte not yet handed to the connection
  #size = 0;
  #full: Buffer[] = [];
  #day = Number.NaN; // the day last written, its date, and every day's (rows alternate days and months)
  #date = '';
  #dates = new Map<number, string>();

  private constructor(
    private readonly connection: postgres.ReservedSql,
    private readonly stream: Writable,
  ) {
    // the server's refusal arrives whenever it does; the next flush reports it
    stream.on('error', (error) => {
      this.#failure = error;
    });
  }

  /** Opens the COPY in a transaction of its own, committed when every table is loaded. */
  static async open(connection: postgres.ReservedSql, target: CopyTarget): Promise<CopyWriter> {
    await connection`begin`;
    const stream = await connection.unsafe(`copy ${target.table} (${target.columns.join(', ')}) from stdin`).writable();
    return new CopyWriter(connection, stream);
  }

  /** Text, with what COPY's text format escapes (backslash, tab, newline, return) escaped. */
  text(value: string | null): this {
    if (value === null) return this.#null();
    this.#room(2 * value.length + 1);
    this.#escaped(value);
    this.#chunk[this.#size++] = tab;
    return this;
  }

  int(value: number): this {
    return this.text(String(value));
  }

  /** 32 hex digits (an md5) as a uuid's text, 8-4-4-4-12, within a text when given one around it. */
  uuid(hex: string | null, prefix = '', suffix = ''): this {
    if (hex === null) return this.#null();
    this.#room(2 * (prefix.length + suffix.length) + 37);
    this.#escaped(prefix);
    const chunk = this.#chunk;
    let at = this.#size;
    for (let i = 0; i < 32; i++) {
      if (i === 8 || i === 12 || i === 16 || i === 20) chunk[at++] = hyphen;
      chunk[at++] = hex.charCodeAt(i);
    }
    this.#size = at;
    this.#escaped(suffix);
    this.#chunk[this.#size++] = tab;
    return this;
  }

  /** A timestamptz in UTC, from microseconds since the epoch: 2024-05-01 13:45:07.123456+00. */
  time(us: number | null): this {
    if (us === null) return this.#null();
    const micros = us - this.#dateOf(us) * day;
    const seconds = Math.floor(micros / 1_000_000);
    this.#room(31);
    const chunk = this.#chunk;
    let at = this.#size;
    for (let i = 0; i < 10; i++) chunk[at++] = this.#date.charCodeAt(i);
    chunk[at++] = 32; // ' '
    at = digits(chunk, at, Math.floor(seconds / 3600), 2);
    chunk[at++] = 58; // ':'
    at = digits(chunk, at, Math.floor(seconds / 60) % 60, 2);
    chunk[at++] = 58;
    at = digits(chunk, at, seconds % 60, 2);
    chunk[at++] = 46; // '.'
    at = digits(chunk, at, micros - seconds * 1_000_000, 6);
    chunk[at++] = 43; // '+00'
    chunk[at++] = 48;
    chunk[at++] = 48;
    chunk[at++] = tab;
    this.#size = at;
    return this;
  }

  /** A date: the UTC day of microseconds since the epoch. */
  date(us: number | null): this {
    if (us === null) return this.#null();
    this.#dateOf(us);
    return this.text(this.#date);
  }

  endRow(): void {
    this.#chunk[this.#size - 1] = newline;
  }

  #dateOf(us: number): number {
    const d = Math.floor(us / day);
    if (d !== this.#day) {
      this.#day = d;
      this.#date = this.#dates.get(d) ?? new Date(d * 86_400_000).toISOString().slice(0, 10);
      this.#dates.set(d, this.#date);
    }
    return d;
  }

  /** The value's bytes, escaped (the room made), without the tab. */
  #escaped(value: string): void {
    const chunk = this.#chunk;
    let at = this.#size;
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c > 127) throw new Error(`COPY text is ASCII here, not ${JSON.stringify(value)}`);
      if (c === backslash || c === tab || c === newline || c === 13) {
        chunk[at++] = backslash;
        chunk[at++] = c === tab ? 116 : c === newline ? 110 : c === 13 ? 114 : backslash;
      } else chunk[at++] = c;
    }
    this.#size = at;
  }

  #null(): this {
    this.#room(3);
    this.#chunk[this.#size++] = backslash;
    this.#chunk[this.#size++] = 78; // N
    this.#chunk[this.#size++] = tab;
    return this;
  }

  /** Room for n more bytes; a full chunk waits for the next flush. */
  #room(n: number): void {
    if (this.#size + n <= this.#chunk.length) return;
    this.#full.push(this.#chunk.subarray(this.#start, this.#size));
    this.#chunk = Buffer.allocUnsafe(Math.max(chunkSize, n));
    this.#start = this.#size = 0;
  }

  /** Hands the rows written so far to the connection, waiting while the server is behind. */
  async flush(): Promise<void> {
    // a turn of the event loop, for the connection to read a refusal: writes the kernel takes at
    // once never give it one
    await new Promise(setImmediate);
    if (this.#failure) throw this.#failure;
    let ready = true;
    for (const bytes of this.#pending()) if (bytes.length > 0) ready = this.stream.write(bytes);
    if (!ready) await once(this.stream, 'drain');
  }

  /** Ends the COPY; throws unless the server took every row. */
  async end(): Promise<void> {
    await new Promise(setImmediate);
    if (this.#failure) throw this.#failure;
    // the last rows written, and every write before them handed over (their callbacks come in order)
    const last = Buffer.concat(this.#pending());
    await new Promise<void>((resolve, reject) => this.stream.write(last, (error) => (error ? reject(error) : resolve())));
    // Nothing pending, so CopyDone goes out now and the query sent next is answered after the
    // COPY's outcome. A refusal from here on never reaches the stream (porsager/postgres#1173),
    // but it leaves the transaction aborted, which the query finds.
    this.stream.end();
    await this.connection`select 1`.catch((error) => {
      throw this.#failure ?? new Error(`the server refused rows of a COPY (its log says why): ${error}`);
    });
  }

  /** The bytes written since the last flush, now the connection's. */
  #pending(): Buffer[] {
    const pending = [...this.#full, this.#chunk.subarray(this.#start, this.#size)];
    this.#full = [];
    this.#start = this.#size;
    return pending;
  }

  commit(): Promise<unknown> {
    return this.connection`commit`;
  }

  /** CopyFail if the COPY is still open; its rows rolled back either way. */
  async abort(error: Error): Promise<void> {
    this.stream.destroy(error);
    await this.connection`rollback`;
  }
}

interface IndexDefinition {
  /** The table and the index, as regclass prints them; the DDL that creates the index. */
  table: string;
  index: string;
  create: string;
  /** The primary key or unique constraint the index backs (quoted), if any, and its definition. */
  constraint: string | null;
  definition: string | null;
}

/**
 * Fills the targets' tables through COPY, one writer per target in the same order, the tables'
 * indexes set aside meanwhile. A failed fill leaves the tables as they were (the COPYs roll back)
 * and their indexes back.
 */
export async function bulkLoad(sql: postgres.Sql, targets: readonly CopyTarget[], fill: (...writers: CopyWriter[]) => Promise<void>) {
  // A pool of our own, one connection per table: the caller's may hold a single connection.
  // Its options are the caller's, spread as the library's own listen() does for its connection.
  const pool = postgres({ ...sql.options, max: targets.length } as unknown as postgres.Options<Record<string, never>>);
  try {
    const before = await catalog(pool, targets);
    const indexes = await Promise.all(
      targets.map(
        (t) => pool<IndexDefinition[]>`
          select i.indrelid::regclass::text as "table", i.indexrelid::regclass::text as "index", pg_get_indexdef(i.indexrelid) as "create",
                 quote_ident(k.conname) as "constraint", pg_get_constraintdef(k.oid) as "definition"
            from pg_index i
            left join pg_constraint k on k.conindid = i.indexrelid and k.conrelid = i.indrelid and k.contype in ('p', 'u', 'x')
           where i.indrelid = ${t.table}::regclass`,
      ),
    );
    await pool.begin(async (tx) => {
      for (const index of indexes.flat()) {
        await tx.unsafe(index.constraint ? `alter table ${index.table} drop constraint ${index.constraint}` : `drop index ${index.index}`);
      }
    });
    try {
      const connections = await Promise.all(targets.map(() => pool.reserve()));
      try {
        const writers = await Promise.all(targets.map((t, n) => CopyWriter.open(connections[n]!, t)));
        try {
          await fill(...writers);
          await Promise.all(writers.map((w) => w.end()));
        } catch (error) {
          await Promise.all(writers.map((w) => w.abort(error as Error)));
          throw error;
        }
        await Promise.all(writers.map((w) => w.commit()));
      } finally {
        for (const connection of connections) connection.release();
      }
    } finally {
      // each table's indexes rebuilt on a connection of its own, side by side
      await Promise.all(
        indexes.map((ofTable) =>
          pool.begin(async (tx) => {
            // more of each sort in memory, fewer merge passes (this transaction only)
            await tx`set local maintenance_work_mem = '1GB'`;
            for (const index of ofTable) {
              await tx.unsafe(
                index.constraint ? `alter table ${index.table} add constraint ${index.constraint} ${index.definition}` : index.create,
              );
            }
          }),
        ),
      );
    }
    const after = await catalog(pool, targets);
    if (after !== before) throw new Error(`the load changed the tables' indexes or constraints:\nbefore ${before}\nafter  ${after}`);
  } finally {
    await pool.end();
  }
}

/** The tables' indexes and constraints, by name, with their comments, as text to compare. */
async function catalog(sql: postgres.Sql, targets: readonly CopyTarget[]): Promise<string> {
  const tables = targets.map((t) => t.table);
  const rows = await sql`
    select i.indrelid::regclass::text as "table", i.indexrelid::regclass::text as "name",
           pg_get_indexdef(i.indexrelid) || coalesce(' -- ' || obj_description(i.indexrelid, 'pg_class'), '') as "definition"
      from pg_index i
     where i.indrelid = any(${tables}::text[]::regclass[])
    union all
    select k.conrelid::regclass::text, k.conname,
           pg_get_constraintdef(k.oid) || case when k.convalidated then '' else ' NOT VALID' end
             || coalesce(' -- ' || obj_description(k.oid, 'pg_constraint'), '')
      from pg_constraint k
     where k.conrelid = any(${tables}::text[]::regclass[])
     order by 1, 2, 3`;
  return JSON.stringify(rows);
}
