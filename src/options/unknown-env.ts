/** The prefix every variable of this module shares; applications often use it for their own settings too. */
export const ENV_PREFIX = 'JWT_';

/**
 * Unknown `JWT_*` names, split into probable misspellings of a known name (with the name meant) and the rest.
 * Names are compared upper-cased, so `jwt_issuer` is a misspelling of `JWT_ISSUER`, not an unrelated variable.
 */
export interface UnknownEnv {
  readonly misspelt: readonly { readonly name: string; readonly meant: string }[];
  readonly unknown: readonly string[];
}

/**
 * Sorts the `JWT_*` names of an environment that are neither known nor ignored.
 * @param names every variable name of the environment
 * @param known the module's own variable names
 * @param ignored the application's own `JWT_*` names, neither misspellings nor unknown
 */
export function findUnknownEnv(names: Iterable<string>, known: readonly string[], ignored: readonly string[]): UnknownEnv {
  const misspelt: { name: string; meant: string }[] = [];
  const unknown: string[] = [];
  for (const name of names) {
    if (!name.toUpperCase().startsWith(ENV_PREFIX) || known.includes(name) || ignored.includes(name)) {
      continue;
    }
    const meant = closest(name.toUpperCase(), known);
    if (meant) {
      misspelt.push({ name, meant });
    } else {
      unknown.push(name);
    }
  }
  return { misspelt, unknown: unknown.sort() };
}

/**
 * The `_PATH` setting meant by a `_FILE` name: Docker's convention for secrets names a variable holding a file's path
 * `<NAME>_FILE`, where this module's key variables say `_PATH`. Four letters apart, too far for a typo.
 * @returns the known `_PATH` name, or `undefined` when `name` is not such a variant
 */
export function pathVariableFor(name: string, known: readonly string[]): string | undefined {
  const match = /^(.*)_FILE$/.exec(name.toUpperCase());
  const meant = match ? `${match[1]}_PATH` : undefined;
  return meant !== undefined && known.includes(meant) ? meant : undefined;
}

/**
 * The known name within a typo's reach of `name`, if any. The reach scales with the length after the prefix: one
 * edit for short names (`JWT_REALM`, `JWT_ISSUER`), where two edits already reach unrelated words (`JWT_TEAM`),
 * and two edits from eight characters on (`JWT_EXPIRES_IN`, `JWT_PUBLIC_KEY_PATH`).
 */
function closest(name: string, known: readonly string[]): string | undefined {
  let best: { meant: string; distance: number } | undefined;
  for (const candidate of known) {
    const reach = candidate.length - ENV_PREFIX.length >= 8 ? 2 : 1;
    const distance = editDistance(name, candidate);
    if (distance <= reach && (!best || distance < best.distance)) {
      best = { meant: candidate, distance };
    }
  }
  return best?.meant;
}

/**
 * Damerau-Levenshtein distance in its optimal-string-alignment form: insertions, deletions, substitutions and
 * swaps of two neighbours (`PAHT` for `PATH`) each count one.
 */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      rows[i][j] = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        rows[i][j] = Math.min(rows[i][j], rows[i - 2][j - 2] + 1);
      }
    }
  }
  return rows[a.length][b.length];
}
