import { inject } from 'vitest';

/** The server this project's tests run on (see tests/setup/global.ts). */
export function adminUrl(): string {
  return inject('adminUrl');
}
