/**
 * Removes a map's first entry, the oldest by insertion (a `Map` iterates in insertion order), and returns its value;
 * `undefined` for an empty map. The one eviction of the library's bounded maps.
 */
export function evictOldest<K, V>(map: Map<K, V>): V | undefined {
  for (const [key, value] of map) {
    map.delete(key);
    return value;
  }
  return undefined;
}
