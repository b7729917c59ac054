import { JwtService } from '@nestjs/jwt';
import type { Type } from '@nestjs/common';
import type { ModulesContainer } from '@nestjs/core';
import { Rs256AuthError } from '../errors/rs256-auth.error.js';
import type { ModuleNode } from './app-graph.js';

/** Whether a module is one `allowForeignJwtServices` names, by class or by name. */
function allowed(module: ModuleNode, allow: ReadonlyArray<Type | string>): boolean {
  return allow.some((entry) => entry === module.metatype || entry === module.name);
}

/**
 * The modules of the application that see a `JwtService` other than this module's: each has one among its own
 * providers, or imports a module that has one (`JwtModule.register({ secret })` left over from the usual recipe).
 * Named by the module where the application declares it, so that the message points at a line the reader wrote.
 * Modules in `allow` (and a JwtModule only they import) are let be.
 */
function foreignJwtServices(modules: ModulesContainer, own: ReadonlySet<ModuleNode>, allow: ReadonlyArray<Type | string>): string[] {
  const holders = [...modules.values()].filter((module) => !own.has(module) && module.providers.has(JwtService));
  const named = new Set<string>();
  for (const holder of holders) {
    const importers = [...modules.values()].filter((module) => !own.has(module) && module.imports.has(holder));
    // A JwtModule is named by whoever imports it; a JwtService listed among a module's own providers, by that module.
    if (holder.name === 'JwtModule' && importers.length > 0) {
      for (const importer of importers) {
        if (!allowed(importer, allow)) named.add(`${importer.name} (imports JwtModule)`);
      }
    } else if (!allowed(holder, allow)) {
      named.add(`${holder.name} (provides JwtService)`);
    }
  }
  return [...named];
}

/**
 * One `JwtService` per application: the one this module exports signs RS256 with the configured key. A second one
 * in a feature module is injected there instead, without a word, and signs HS256 tokens with its secret, which
 * every guard refuses. Refused at start-up, naming the module and the fix, unless `allowForeignJwtServices`
 * names the module (one the application cannot edit).
 */
export function checkOneJwtService(modules: ModulesContainer, own: ReadonlySet<ModuleNode>, allow: ReadonlyArray<Type | string> = []): void {
  const foreign = foreignJwtServices(modules, own, allow);
  if (foreign.length === 0) return;
  throw new Rs256AuthError(
    'RS256_CONFIG_INVALID',
    `another JwtService is registered in ${foreign.join(', ')}: the classes of that module are given it instead of ` +
      `Rs256AuthModule's, and the tokens it signs (HS256 with its secret, or none) are refused by every guard. ` +
      'Remove JwtModule (or the JwtService provider) from that module and import Rs256AuthModule there, or make it ' +
      'global; a JwtService wanted on purpose for something else (signed links, say) goes under an injection token of ' +
      "its own: { provide: 'LINK_JWT', useFactory: () => new JwtService({ secret }) }. A module you cannot edit (a " +
      `third party's, using its JwtService for its own tokens) may keep it: Rs256AuthModule.forRoot({ allowForeignJwtServices: [${foreign
        .map((entry) => entry.slice(0, entry.indexOf(' (')))
        .join(', ')}] }).`,
  );
}
