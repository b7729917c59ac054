// Imported first by the package's entry points, so that it runs before anything of the package loads
// @nestjs/config, @nestjs/jwt or @nestjs/passport (ES module imports are evaluated in order, before the importing
// module's own code; the CommonJS build keeps that order in its require() calls).
import { checkPeerVersions } from './peer-versions.js';

// Only where `require` loads the peers, i.e. in the CommonJS build: the ES module build imports them, which their
// ES-module-only releases allow, so an ES-module NestJS 11 application with them is left alone. Looked up where
// this file's own `require` looks, from the package's location rather than the working directory: in a monorepo
// the two may see different installs.
if (typeof require === 'function') {
  checkPeerVersions(require.resolve.paths?.('@nestjs/common') ?? __dirname);
}
