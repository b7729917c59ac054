import { Logger } from '@nestjs/common';
import type { Rs256AuthConfig } from '../options/rs256-auth-config.js';
import { LogCapture } from '../../test/support/log-capture.js';
import { RevocationList } from './revocation-list.js';
import type { RevocationSink, SessionStore } from './session-store.interface.js';

const MAX_STALENESS = 1000;

/** A shared store that does nothing but hand over the sink, so the test drives confirmations itself. */
function sharedStore(): SessionStore & { sink?: RevocationSink } {
  const store: SessionStore & { sink?: RevocationSink } = {
    shared: true,
    createSession: async () => 0,
    rotate: async () => ({ status: 'unknown' }),
    revoke: async () => [],
    watch: async (sink) => {
      store.sink = sink;
    },
    close: async () => undefined,
  };
  return store;
}

function list(failOpen = false, store: SessionStore | null = sharedStore()): RevocationList {
  const config = { sessions: { store: 'redis', refreshExpiresIn: 86400, maxStalenessMs: MAX_STALENESS, failOpen } } as unknown as Rs256AuthConfig;
  return new RevocationList(config, store);
}

describe('RevocationList', () => {
  let logs: LogCapture;
  beforeEach(() => {
    logs = new LogCapture();
    Logger.overrideLogger(logs);
  });
  afterAll(() => Logger.overrideLogger(false));

  const claims = { sub: 'alice', sid: 's-1', jti: 'j-1', iat: 1000 };

  it('refuses by jti, sid and sub (issued up to and including `before`, in ms) until each entry expires', () => {
    const now = Date.now();
    const revocations = list();
    revocations.confirm(now);
    revocations.apply([
      { kind: 'jti', value: 'j-1', until: now + 500 },
      { kind: 'sid', value: 's-2', until: now + 500 },
      { kind: 'sub', value: 'bob', until: now + 500, before: 2_000_500 },
    ]);
    expect(() => revocations.check(claims, now)).toThrow('token revoked');
    expect(() => revocations.check({ ...claims, jti: 'j-2', sid: 's-2' }, now)).toThrow('session revoked');
    expect(() => revocations.check({ sub: 'bob', iat: 2000 }, now)).toThrow('signed out everywhere');
    expect(() => revocations.check({ sub: 'bob' }, now)).toThrow('signed out everywhere');
    expect(() => revocations.check({ sub: 'bob', iat: 2001 }, now)).not.toThrow();
    // A session's token carries its issue time in ms: one issued in the same second, after the cut-off, passes.
    expect(() => revocations.check({ sub: 'bob', iat: 2000, iat_ms: 2_000_500 }, now)).toThrow('signed out everywhere');
    expect(() => revocations.check({ sub: 'bob', iat: 2000, iat_ms: 2_000_501 }, now)).not.toThrow();
    // A stamp that disagrees with iat is not believed: iat decides, to the second.
    expect(() => revocations.check({ sub: 'bob', iat: 2000, iat_ms: 2_001_000 }, now)).toThrow('signed out everywhere');
    expect(() => revocations.check({ ...claims, jti: 'j-2' }, now)).not.toThrow();
    // Past `until` the tokens concerned have expired anyway.
    expect(() => revocations.check(claims, now + 500)).not.toThrow();
  });

  it('a bulk cut-off refuses every token issued up to it, whoever its subject, and is given back like the others', () => {
    const now = Date.now();
    const revocations = list();
    revocations.confirm(now);
    revocations.apply([{ kind: 'all', value: '', until: now + 500, before: 5_000_000 }]);
    for (const sub of ['alice', 'bob']) {
      expect(() => revocations.check({ sub, iat: 4999 }, now)).toThrow('every token issued before a cut-off');
      expect(() => revocations.check({ sub, iat: 5000, iat_ms: 5_000_000 }, now)).toThrow('every token issued before a cut-off');
      expect(() => revocations.check({ sub, iat: 5000, iat_ms: 5_000_001 }, now)).not.toThrow();
    }
    expect(() => revocations.check({}, now)).toThrow('every token issued before a cut-off');
    expect(revocations.entries()).toEqual([{ kind: 'all', value: '', until: now + 500, before: 5_000_000 }]);
    expect(() => revocations.check({ sub: 'alice', iat: 4999 }, now + 500)).not.toThrow();
  });

  it('keeps the later of two entries for the same value', () => {
    const now = Date.now();
    const revocations = list();
    revocations.apply([{ kind: 'sub', value: 'bob', until: now + 900, before: 3000 }]);
    revocations.apply([{ kind: 'sub', value: 'bob', until: now + 100, before: 1000 }]);
    expect(revocations.entries()).toEqual([{ kind: 'sub', value: 'bob', until: now + 900, before: 3000 }]);
  });

  it('with a shared store, refuses every token until first confirmed, and again once confirmation is older than the bound (fail closed), saying so once', () => {
    const revocations = list();
    expect(() => revocations.check(claims, Date.now())).toThrow(expect.objectContaining({ code: 'RS256_TOKEN_REVOCATION_STALE' }));
    const confirmed = Date.now();
    revocations.confirm(confirmed);
    expect(() => revocations.check({ sub: 'x' }, confirmed + MAX_STALENESS)).not.toThrow();
    for (let i = 1; i <= 3; i++) {
      expect(() => revocations.check({ sub: 'x' }, confirmed + MAX_STALENESS + i)).toThrow('revocation state unavailable');
    }
    expect(logs.matching(/fail closed/)).toHaveLength(2);
    expect(logs.matching(/never loaded/)).toHaveLength(1);
    revocations.confirm(Date.now());
    expect(logs.matching(/current again/)).toHaveLength(2);
    expect(() => revocations.check({ sub: 'x' }, Date.now())).not.toThrow();
  });

  it('fail-open accepts tokens on a stale view, logging that it does, but still refuses what it knows is revoked', () => {
    const revocations = list(true);
    const confirmed = Date.now();
    revocations.confirm(confirmed);
    revocations.apply([{ kind: 'jti', value: 'j-1', until: confirmed + 60_000 }]);
    const late = confirmed + MAX_STALENESS + 1;
    expect(() => revocations.check({ sub: 'x' }, late)).not.toThrow();
    expect(() => revocations.check(claims, late)).toThrow('token revoked');
    expect(logs.matching(/JWT_REVOCATION_FAIL_OPEN=true/)).toHaveLength(1);
  });

  it('a local store is never stale, and with sessions disabled nothing is checked', () => {
    const local = list(false, { ...sharedStore(), shared: false });
    expect(() => local.check(claims, Date.now() + 10 * MAX_STALENESS)).not.toThrow();
    const disabled = new RevocationList({} as Rs256AuthConfig, null);
    disabled.apply([{ kind: 'jti', value: 'j-1', until: Date.now() + 1000 }]);
    expect(() => disabled.check(claims)).not.toThrow();
  });
  it('tells each listener of every batch once the list has taken it in, until the listener stops', () => {
    const revocations = list();
    const seen: { batch: readonly unknown[]; revokedAlready: boolean }[] = [];
    const stop = revocations.onApply((batch) => {
      let revokedAlready = false;
      try {
        revocations.check({ sid: 's-1' });
      } catch (error) {
        revokedAlready = (error as { code?: string }).code === 'RS256_TOKEN_REVOKED';
      }
      seen.push({ batch, revokedAlready });
    });
    revocations.confirm(Date.now());
    const batch = [{ kind: 'sid' as const, value: 's-1', until: Date.now() + 60_000 }];
    revocations.apply(batch);
    stop();
    revocations.apply([{ kind: 'jti', value: 'j-1', until: Date.now() + 60_000 }]);
    expect(seen).toEqual([{ batch, revokedAlready: true }]);
  });
});
