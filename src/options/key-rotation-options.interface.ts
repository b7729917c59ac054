/** Automatic rotation of the signing key (see docs/key-custody.md). */
export interface KeyRotationOptions {
  /**
   * Rotate the signing key automatically. The module creates each key, publishes it in the JWK Set at least one
   * JWK Set cache lifetime (`JWT_JWKS_MAX_AGE`) plus a margin before it signs anything, switches signing on
   * schedule, and removes a retired key once every token it signed has expired. Every instance reads the same
   * schedule from the store, so exactly one creates each key and all switch together. Needs the JWK Set endpoint,
   * and excludes every other key setting: the keys come from the store.
   */
  rotation?: {
    /**
     * Time between two switches of the signing key: seconds, or a lifetime such as `'30d'`. Must exceed the JWK
     * Set's cache lifetime plus the margin, the time a new key is published before it signs.
     * @env JWT_KEY_ROTATION
     * @example '30d'
     */
    interval: number | string;

    /**
     * Where the keys and their schedule are kept, and how instances agree on who creates the next key: `'redis'`
     * (the session store's Redis: a lock and a hash under its key prefix) or the path of a folder every instance
     * shares (a lock file, one file per key).
     * @env JWT_KEY_ROTATION_STORE
     * @example 'redis'
     */
    store?: string;

    /**
     * Encrypts the private keys at rest (PKCS#8, AES-256-CBC); at least 16 characters, the same on every instance.
     * A secret: give it from the environment, never in code; it is never logged or quoted.
     * @env JWT_KEY_ROTATION_PASSPHRASE
     */
    passphrase?: string;
  };
}
