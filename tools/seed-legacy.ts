// Fills a database that holds only the legacy baseline with the realistic legacy fixture, for
// rehearsing an adoption: npm run seed:legacy -- --users 5000
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { loadLegacyFixture } from './seeds/legacy-fixture.js';
import { requireDatabaseUrl } from '../src/db/url.js';

const { values } = parseArgs({ options: { users: { type: 'string', default: '5000' }, 'database-url': { type: 'string' } } });
const users = Number(values.users);
const sql = postgres(requireDatabaseUrl(values['database-url']), { max: 1, onnotice: () => {} });
try {
  const [shape] = await sql`select to_regclass('public.user_credits') is not null as legacy,
                                   exists (select 1 from information_schema.columns where table_name = 'user_credits' and column_name = 'monthly_credits') as adopted`;
  if (!shape!.legacy || shape!.adopted)
    throw new Error('the fixture goes into a database at the legacy baseline only (credits migrate up 1)');
  const started = Date.now();
  await loadLegacyFixture(sql, users);
  const [counts] = await sql`select (select count(*) from user_credits)::int users, (select count(*) from enhancement_tasks)::int tasks,
                                    (select count(*) from credit_transactions)::int ledger_rows, (select sum(credits) from user_credits)::int credits`;
  console.log(
    `legacy fixture: ${counts!.users} users, ${counts!.tasks} tasks, ${counts!.ledger_rows} ledger rows, ${counts!.credits} credits in balances (${Date.now() - started} ms)`,
  );
} finally {
  await sql.end();
}
