/**
 * `nestjs-rs256-auth/health`: the `@nestjs/terminus` health indicator, in its own entry point so that only an
 * application that uses it loads `@nestjs/terminus` (an optional peer).
 */
export { Rs256AuthHealthIndicator } from './rs256-auth.health.js';
