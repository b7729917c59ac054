import { evictOldest } from '../evict-oldest.js';

/**
 * A map from exact strings to what a pure function of them gave, holding at most `capacity` entries: past it the
 * oldest entry goes first. A miss only costs the caller its own work again, so a client that sends ever new strings
 * can slow its own requests but neither grow the memory used nor change any answer.
 */
export class BoundedCache<V> {
  private readonly entries = new Map<string, V>();

  /**
   * @param capacity most entries kept
   * @param maxKeyLength longest key kept (longer ones are neither looked up nor kept), so that the memory held stays
   * about `capacity` times this
   */
  constructor(
    private readonly capacity: number,
    private readonly maxKeyLength: number,
  ) {}

  get(key: string): V | undefined {
    return key.length <= this.maxKeyLength ? this.entries.get(key) : undefined;
  }

  set(key: string, value: V): void {
    if (key.length > this.maxKeyLength) {
      return;
    }
    if (this.entries.size >= this.capacity) {
      evictOldest(this.entries);
    }
    this.entries.set(key, value);
  }

  get size(): number {
    return this.entries.size;
  }
}
