import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The build output, made by `npm test`'s pretest step. */
export const DIST = fileURLToPath(new URL('../../dist', import.meta.url));

/** The demo's build output (examples/demo, compiled against dist/ by `npm test`'s pretest step, as `npm start` does). */
export const DEMO_DIST = fileURLToPath(new URL('../../examples/demo/dist', import.meta.url));
