import { rotationTimes } from '../options/rotation-times.js';
import { activationOfNext, stateAt, type StoredKey } from './rotation-schedule.js';

// A day's interval, a 300 s JWK Set cache, 900 s tokens, 5 s tolerance: lead 360 s, retention 965 s.
const times = rotationTimes(86_400, 300, 900, 5);
const DAY = 86_400_000;
const key = (seq: number, activeFrom: number): StoredKey => ({ seq, kid: `k${seq}`, createdAt: activeFrom - 360_000, activeFrom, privateKey: '' });
const kids = (keys: readonly StoredKey[]): string[] => keys.map(({ kid }) => kid);

describe('rotation schedule', () => {
  const first = key(0, 0);
  const second = key(1, DAY);

  it('derives the lead and the retention from the settings and the 60 s margin', () => {
    expect(times).toEqual({ intervalMs: DAY, leadMs: 360_000, retentionMs: 965_000 });
  });

  it('signs with the last key whose time has come, and publishes the next one ahead of it', () => {
    expect(stateAt([first, second], times, DAY - 1)).toMatchObject({ signing: first, published: [first, second], changesAt: DAY });
    expect(stateAt([second, first], times, DAY)).toMatchObject({ signing: second, published: [first, second], changesAt: DAY + 965_000 });
  });

  it('removes a retired key once its last token has expired, and says the next key is due one lead before the switch', () => {
    const state = stateAt([first, second], times, DAY + 965_000);
    expect(kids(state.published)).toEqual(['k1']);
    expect(kids(state.removable)).toEqual(['k0']);
    expect(state.createDueAt).toBe(2 * DAY - 360_000);
    expect(state.changesAt).toBe(2 * DAY - 360_000);
  });

  it('creates the next key one interval after the last, or one lead after its creation when that is later', () => {
    expect(activationOfNext(undefined, times, 5)).toBe(5);
    expect(activationOfNext(first, times, DAY - 360_000)).toBe(DAY);
    expect(activationOfNext(first, times, DAY + 1000)).toBe(DAY + 1000 + 360_000);
  });
});
