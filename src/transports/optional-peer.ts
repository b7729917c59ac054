/**
 * One export of an optional peer package, imported the first time it is needed and kept from then on. Transport
 * adapters reach their package only through this, so an application that never uses a transport never loads it.
 */
export class OptionalPeer<T> {
  private value: T | undefined;

  constructor(private readonly load: () => Promise<T>) {}

  /** Throws what `build` makes from the export: synchronously once loaded, after the import the first time. */
  throwWith(build: (value: T) => unknown): Promise<never> {
    if (this.value !== undefined) {
      throw build(this.value);
    }
    return this.load().then((value) => {
      this.value = value;
      throw build(value);
    });
  }
}
