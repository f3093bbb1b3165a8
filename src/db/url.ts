/** The connection string from --database-url or DATABASE_URL, or an error saying how to give one. */
export function requireDatabaseUrl(flag?: string): string {
  const url = flag ?? process.env.DATABASE_URL;
  if (!url) throw new Error('no database: set DATABASE_URL or pass --database-url postgres://user@host:port/db');
  return url;
}

/** The same server as `url`, another database. */
export function sameServer(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
