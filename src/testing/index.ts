// The `nestjs-rs256-auth/testing` entry point: what an application's own tests import. Kept apart from the main
// index so that a production build never loads it, and it refuses to run where NODE_ENV is production.
import '../peer-versions.guard.js';
export { createAuthTestKit, TEST_AUDIENCE, TEST_ISSUER, type AuthTestKit, type AuthTestKitOptions } from './auth-test-kit.js';
export { startFakeIssuer, type FakeIssuer, type FakeIssuerOptions, type FakeTokenRequest } from './fake-issuer.js';
export { createTestKeys, type TestKeyPair } from './test-keys.js';
export type { BadToken, BadTokenReason, TestTokenOptions } from './test-tokens.js';
