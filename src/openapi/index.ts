// The `nestjs-rs256-auth/swagger` entry point. Kept apart from the main index so that an application without
// @nestjs/swagger (an optional peer) never loads it.
export { addRs256Auth, type Rs256OpenApiOptions } from './rs256-openapi.js';
