import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The build output, made by `npm test`'s pretest step. */
export const DIST = fileURLToPath(new URL('../../dist', import.meta.url));
