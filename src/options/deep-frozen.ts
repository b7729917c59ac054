/**
 * Freezes plain data all the way down: objects and arrays are frozen, functions (the application's own callbacks,
 * such as `jwtFromRequest`) are left as they are, since they are the application's to keep. Resolved configuration
 * is shared by every provider, so none of them can change it under another.
 */
export function deepFrozen<T extends object>(value: T): T {
  const pending: object[] = [value];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (Object.isFrozen(next)) continue;
    Object.freeze(next);
    for (const child of Object.values(next)) {
      if (typeof child === 'object' && child !== null) pending.push(child);
    }
  }
  return value;
}
