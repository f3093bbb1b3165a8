// The headline of a query plan: which relations it reads and how (sequential, index, bitmap).
import type postgres from 'postgres';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

export async function planHeadline(sql: postgres.Sql, query: string): Promise<string> {
  const [row] = await sql.unsafe(`explain (format json) ${query}`);
  const root = (row!['QUERY PLAN'] as { Plan: PlanNode }[])[0]!.Plan;
  const scans = new Map<string, string>();
  const walk = (node: PlanNode) => {
    const type = node['Node Type'];
    if (type.includes('Scan') && (node['Relation Name'] || node['Index Name'])) {
      const what = node['Index Name'] ?? node['Relation Name']!;
      const kind = type === 'Seq Scan' ? 'seq' : type === 'Index Only Scan' ? 'index-only' : type.startsWith('Bitmap') ? 'bitmap' : 'index';
      if (type !== 'Bitmap Heap Scan') scans.set(`${kind} ${what}`, kind);
    }
    node.Plans?.forEach(walk);
  };
  walk(root);
  return [...scans.keys()].join(', ') || root['Node Type'];
}

/** Median of several timed runs, after one warm-up, in milliseconds. */
export async function medianLatency(run: () => Promise<unknown>, runs: number): Promise<number> {
  await run();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}
