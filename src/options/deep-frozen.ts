/**
 * A frozen copy of plain data, all the way down: arrays and plain objects are copied and frozen; functions (the
 * application's own callbacks, such as `transport.extractor`) and anything else are kept as they are, since they are the
 * application's. Resolved configuration is shared by every provider, so none of them can change it under another;
 * copying leaves the arrays and objects the application passed as options its own to change.
 */
export function deepFrozen<T>(value: T): T {
  if (Array.isArray(value)) return Object.freeze(value.map((item: unknown) => deepFrozen(item))) as T;
  if (isPlainObject(value)) {
    return Object.freeze(Object.fromEntries(Object.entries(value).map(([name, member]) => [name, deepFrozen(member)]))) as T;
  }
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
