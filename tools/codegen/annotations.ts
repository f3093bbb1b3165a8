// What the catalog cannot say about a function's or view's result, read from the header of its
// definition file (the file credits_meta.definitions records for it):
//   -- Never null: task_id, balance, replayed.     output columns always filled (a scalar: "the result")
//   -- Null arguments: p_threshold.                arguments whose null means something (off, none)
//   -- Document type: AdminCreditStats.           a jsonb result's TypeScript type (src/client/documents.ts)
// tests/nullability.test.ts checks every "Never null" against real calls and reads.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { packageRoot } from '../../src/paths.js';

export interface Annotations {
  /** Output columns the function or view always fills; 'the result' for a scalar function. */
  neverNull: string[];
  /** Arguments a caller may pass as null, which then means something (off, none, the tier's). */
  nullArguments: string[];
  /** The TypeScript type of a jsonb result, exported by src/client/documents.ts. */
  documentType?: string;
}

/** The header: the comment lines before the first statement. */
function header(sql: string): string[] {
  const lines: string[] = [];
  for (const line of sql.split('\n')) {
    if (!line.startsWith('--')) break;
    lines.push(line.slice(2).trim());
  }
  return lines;
}

export function parseAnnotations(sql: string, file: string): Annotations {
  const lines = header(sql);
  const field = (label: string) => {
    const found = lines.filter((l) => l.startsWith(`${label}:`));
    if (found.length > 1) throw new Error(`codegen: ${file} has more than one "${label}:" line`);
    return found[0]
      ?.slice(label.length + 1)
      .trim()
      .replace(/\.$/, '');
  };
  const list = (label: string) =>
    (field(label) ?? '')
      .split(',')
      .map((c) => c.trim())
      .filter(Boolean);
  const documentType = field('Document type');
  return {
    neverNull: list('Never null'),
    nullArguments: list('Null arguments'),
    ...(documentType ? { documentType } : {}),
  };
}

/** The annotations of a definition file, by its path relative to the package root. */
export async function readAnnotations(file: string): Promise<Annotations> {
  return parseAnnotations(await readFile(path.join(packageRoot, file), 'utf8'), file);
}
