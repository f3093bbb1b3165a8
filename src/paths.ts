import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The package's root folder, where migrations/, functions/ and views/ live. */
export const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
