// A CSV file read as it streams (RFC 4180: quoted fields may hold commas, quotes doubled, line
// breaks), one record at a time with the line it starts on, so that a file of a million rows
// never sits in memory whole.
import { createReadStream } from 'node:fs';

export interface CsvRecord {
  /** The line the record starts on (the header is line 1). */
  line: number;
  fields: string[];
}

export async function* readCsv(path: string): AsyncGenerator<CsvRecord> {
  let fields: string[] = [];
  let field = '';
  let quoted = false; // inside a quoted field
  let afterQuote = false; // a quote seen inside a quoted field: the end, or the first of two
  let line = 1;
  let start = 1;
  let empty = true; // nothing of the current record read yet
  let first = true;
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
  for await (const chunk of stream as AsyncIterable<string>) {
    for (const c of chunk) {
      if (first) {
        first = false;
        if (c === '\uFEFF') continue; // a byte order mark (spreadsheets write one): not data
      }
      if (quoted) {
        if (afterQuote) {
          afterQuote = false;
          if (c === '"') {
            field += '"';
            continue;
          }
          quoted = false; // the closing quote: c is read below as outside quotes
        } else if (c === '"') {
          afterQuote = true;
          continue;
        } else {
          if (c === '\n') line++;
          field += c;
          continue;
        }
      }
      if (c === '"' && field === '') {
        quoted = true;
        empty = false;
      } else if (c === ',') {
        fields.push(field);
        field = '';
        empty = false;
      } else if (c === '\n') {
        if (!empty || (field !== '' && field !== '\r')) {
          fields.push(field.endsWith('\r') ? field.slice(0, -1) : field);
          yield { line: start, fields };
        }
        fields = [];
        field = '';
        empty = true;
        line++;
        start = line;
      } else {
        field += c;
        if (c !== '\r') empty = false;
      }
    }
  }
  if (quoted && !afterQuote) throw new Error(`line ${start}: a quoted field is not closed`);
  if (!empty || (field !== '' && field !== '\r')) {
    fields.push(field.endsWith('\r') ? field.slice(0, -1) : field);
    yield { line: start, fields };
  }
}
