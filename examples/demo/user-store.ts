import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createHash, timingSafeEqual } from 'node:crypto';

export interface DemoUser {
  username: string;
  scopes: string[];
}

interface StoredUser extends DemoUser {
  passwordDigest: Buffer;
}

const digest = (password: string): Buffer => createHash('sha256').update(password).digest();

/** Compared against when the username is unknown, so a miss costs the same as a wrong password. */
const NO_USER_DIGEST = digest('no such user');

/**
 * The demo's user store, read from `DEMO_USERS` (`name:password:scope scope,name:password:scope`). A stand-in
 * for an application's own: real passwords belong in a database, hashed with a slow KDF (argon2, scrypt).
 */
@Injectable()
export class UserStore {
  private readonly users = new Map<string, StoredUser>();

  constructor(config: ConfigService) {
    const spec = config.get<string>('DEMO_USERS') ?? '';
    for (const entry of spec.split(',').filter((item) => item.trim().length > 0)) {
      // Scopes may contain colons (orders:read): only the first two colons separate fields.
      const [username, password, ...scopeParts] = entry.trim().split(':');
      const scopes = scopeParts.join(':');
      if (!username || !password) {
        throw new Error(`DEMO_USERS: "${username ?? ''}:..." is not username:password:scopes.`);
      }
      this.users.set(username, { username, passwordDigest: digest(password), scopes: scopes.split(' ').filter(Boolean) });
    }
    if (this.users.size === 0) {
      throw new Error('DEMO_USERS defines no user; expected username:password:scopes, comma-separated.');
    }
  }

  /** The user whose password this is, or null. Digests of equal length are compared in constant time. */
  authenticate(username: string, password: string): DemoUser | null {
    const user = this.users.get(username);
    const matches = timingSafeEqual(digest(password), user?.passwordDigest ?? NO_USER_DIGEST);
    return user && matches ? { username: user.username, scopes: user.scopes } : null;
  }
}
