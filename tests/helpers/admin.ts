import { inject } from 'vitest';

/** The server this project's tests run on (see tests/setup/global.ts). */
export function adminUrl(): string {
  return inject('adminUrl');
}

/** The same server, another database. */
export function databaseUrl(database: string, server = adminUrl()): string {
  const url = new URL(server);
  url.pathname = `/${database}`;
  return url.toString();
}
