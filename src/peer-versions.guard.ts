// Imported first by the package's entry points, so that it runs before anything of the package loads
// @nestjs/config, @nestjs/jwt or @nestjs/passport (ES module imports are evaluated in order, before the importing
// module's own code; the CommonJS build keeps that order in its require() calls).
import { checkPeerVersions } from './peer-versions.js';

checkPeerVersions();
