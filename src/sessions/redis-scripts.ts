import type { RedisClient } from './redis-clients.js';

/** Lua helpers every script starts with: the server's clock in ms, and ms formatted whole (%.0f, as Lua's default rounds). */
const PRELUDE = `
local function ms(x) return string.format('%.0f', x) end
local function clock()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function cutOff(key, sub, now)
  local latest = -1
  for _, v in ipairs(redis.call('HMGET', key, 'sub:' .. sub, 'all:')) do
    if v then
      local sep = string.find(v, '|', 1, true)
      if tonumber(string.sub(v, 1, sep - 1)) > now then latest = math.max(latest, tonumber(string.sub(v, sep + 1))) end
    end
  end
  return latest
end
local function merge(hash, index, field, untilMs, before, now)
  local known = redis.call('HGET', hash, field)
  if known then
    local sep = string.find(known, '|', 1, true)
    untilMs = math.max(untilMs, tonumber(string.sub(known, 1, sep - 1)))
    before = math.max(before, tonumber(string.sub(known, sep + 1)))
  end
  if untilMs > now then
    redis.call('HSET', hash, field, ms(untilMs) .. '|' .. ms(before))
    redis.call('ZADD', index, ms(untilMs), field)
  end
end
`;

/**
 * Starts a session, stamped by the server's clock after every cut-off in force for its subject (a sign-in in the
 * same millisecond as a "sign out everywhere", but after it, is not covered by it).
 * KEYS: the session, the cut-offs hash. ARGV: sub, claims (JSON), family hash, first token's hash, idle ms, max ms.
 */
const CREATE_SCRIPT = `${PRELUDE}
local now = clock()
local stamp = math.max(now, cutOff(KEYS[2], ARGV[1], now) + 1)
redis.call('HSET', KEYS[1], 'sub', ARGV[1], 'c', ARGV[2], 'f', ARGV[3], 'cur', ARGV[4], 'born', ms(stamp), 'at', ms(stamp))
redis.call('PEXPIREAT', KEYS[1], ms(stamp + math.min(tonumber(ARGV[5]), tonumber(ARGV[6]))))
return ms(stamp)
`;

/**
 * Rotates a session's refresh token, or tells why not (see `RotateResult`). A token whose family hash differs
 * was not issued for this session (whoever knows a `sid` from an access token cannot end its session). Past the
 * session's absolute lifetime (by the lifetime asked for now, which may be shorter than the one its key's expiry was
 * set with) nothing is handed out. On reuse the session is deleted and its `sid` revoked and published in the same
 * step: its access tokens are refused everywhere even if the instance never hears back.
 *
 * Every rotation also records, and publishes, the session's mark (`until|at`: the stamp of its latest rotation,
 * kept as long as the token it spent could live), which instances hold and give back to a server that lost it. A
 * session record older than its mark was restored from before that rotation (an older snapshot, a lagging replica):
 * the tokens it knows are spent (refused, and past the grace period a reuse), and any other is refused.
 * KEYS: the session, the cut-offs hash, the revocations hash and its expiry index, the marks hash and its expiry
 * index. ARGV: presented hash, family hash, successor hash, nonce, idle ms, max ms, grace ms, channel, sid, access
 * ms and refresh ms of a revocation.
 */
const ROTATE_SCRIPT = `${PRELUDE}
local s = redis.call('HMGET', KEYS[1], 'sub', 'c', 'f', 'born', 'at', 'cur', 'prev', 'r')
if not s[1] or s[3] ~= ARGV[2] then return {'unknown'} end
local now = clock()
local born, at = tonumber(s[4]), tonumber(s[5])
if now >= born + tonumber(ARGV[6]) then
  redis.call('DEL', KEYS[1])
  return {'unknown'}
end
local cut = cutOff(KEYS[2], s[1], now)
if at <= cut then
  redis.call('DEL', KEYS[1])
  return {'revoked'}
end
local mark = redis.call('HGET', KEYS[5], ARGV[9])
local latest = at
if mark then latest = math.max(at, tonumber(string.sub(mark, string.find(mark, '|', 1, true) + 1))) end
if latest == at and ARGV[1] == s[6] then
  local stamp = math.max(now, at, cut + 1)
  local untilMs = math.min(stamp + tonumber(ARGV[5]), born + tonumber(ARGV[6]))
  redis.call('HSET', KEYS[1], 'prev', s[6], 'cur', ARGV[3], 'at', ms(stamp), 'r', ARGV[4])
  redis.call('PEXPIREAT', KEYS[1], ms(untilMs))
  merge(KEYS[5], KEYS[6], ARGV[9], untilMs, stamp, now)
  for _, field in ipairs(redis.call('ZRANGEBYSCORE', KEYS[6], '-inf', ms(now), 'LIMIT', 0, 2)) do
    redis.call('HDEL', KEYS[5], field)
    redis.call('ZREM', KEYS[6], field)
  end
  redis.call('PUBLISH', ARGV[8], cjson.encode({rotated = {ARGV[9], ms(stamp), ms(untilMs)}}))
  return {'rotated', s[1], s[2], s[4], ms(stamp), ARGV[4]}
end
if latest > at and ARGV[1] ~= s[6] and ARGV[1] ~= s[7] then return {'unknown'} end
if now - latest < tonumber(ARGV[7]) then
  if latest == at and ARGV[1] == s[7] then return {'replayed', s[1], s[2], s[4], s[5], s[8] or ''} end
  return {'superseded'}
end
redis.call('DEL', KEYS[1])
local untilMs = now + math.max(tonumber(ARGV[10]), tonumber(ARGV[11]))
merge(KEYS[3], KEYS[4], 'sid:' .. ARGV[9], untilMs, -1, now)
local entry = {kind = 'sid', value = ARGV[9], at = now}
entry['until'] = untilMs
local message = cjson.encode({entry})
redis.call('PUBLISH', ARGV[8], message)
return {'reused', s[1], message}
`;

/**
 * Gives marks back to a server that lost them (a re-seed): each merged with what is known (the later `until`, the
 * later `at`). KEYS: the marks hash and its expiry index. ARGV: JSON array of `[sid, at, until]`.
 */
const MARK_SCRIPT = `${PRELUDE}
local now = clock()
for _, m in ipairs(cjson.decode(ARGV[1])) do merge(KEYS[1], KEYS[2], m[1], m[3], m[2], now) end
return 1
`;

/**
 * Records revocations with their times fixed by the server's clock, merged with what is known (the later `until`,
 * the later `before`); for the refresh side deletes revoked sessions and records cut-offs; sweeps expired entries;
 * publishes the batch as recorded to every instance (unless the channel is empty: a re-seed, which the other
 * instances load once instead), all in one atomic step. Values are `until|before` strings.
 * KEYS: revocations hash and its expiry index (sorted set), cut-offs hash and its expiry index, then the session key
 * of each `sid` revocation with `refreshMs`, in order. ARGV: channel or '', JSON array of revocation requests.
 */
const REVOKE_SCRIPT = `${PRELUDE}
local now = clock()
local recorded = {}
local session = 5
for _, r in ipairs(cjson.decode(ARGV[2])) do
  local field = r.kind .. ':' .. r.value
  -- A session or subject revocation is kept as long as the refresh tokens it covers: instances hold it, and give it
  -- back (refresh side included) to a server that lost it.
  local untilMs = r['until'] or (now + math.max(r.accessMs, r.refreshMs or 0))
  local before = -1
  if r.kind == 'sub' or r.kind == 'all' then before = math.min(r.before or now, now) end
  merge(KEYS[1], KEYS[2], field, untilMs, before, now)
  if r.refreshMs and r.kind == 'sid' then
    redis.call('DEL', KEYS[session])
    session = session + 1
  elseif r.refreshMs and before >= 0 then
    merge(KEYS[3], KEYS[4], field, now + r.refreshMs, before, now)
  end
  local entry = {kind = r.kind, value = r.value, at = now}
  entry['until'] = untilMs
  if before >= 0 then entry.before = before end
  recorded[#recorded + 1] = entry
end
for _, keys in ipairs({{KEYS[1], KEYS[2]}, {KEYS[3], KEYS[4]}}) do
  for _, field in ipairs(redis.call('ZRANGEBYSCORE', keys[2], '-inf', ms(now), 'LIMIT', 0, 1000)) do
    redis.call('HDEL', keys[1], field)
    redis.call('ZREM', keys[2], field)
  end
end
if #recorded == 0 then return '[]' end
local message = cjson.encode(recorded)
if ARGV[1] ~= '' then redis.call('PUBLISH', ARGV[1], message) end
return message
`;

/**
 * Ends a re-seed: records which server incarnation now holds what the instances know (given back, and so served
 * from), and frees the lock if this instance still holds it. KEYS: epoch, lock, serving. ARGV: incarnation, this
 * instance's id.
 */
const RESEEDED_SCRIPT = `
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[3], ARGV[1])
if redis.call('GET', KEYS[2]) == ARGV[2] then redis.call('DEL', KEYS[2]) end
return 1
`;

/** The script commands, defined once per client (`defineCommand`: `EVALSHA`, the script text only when not cached). */
export interface ScriptCommands {
  rs256AuthCreate(...args: (string | number)[]): Promise<string>;
  rs256AuthRotate(...args: (string | number)[]): Promise<string[]>;
  rs256AuthRevoke(keyCount: number, ...args: (string | number)[]): Promise<string>;
  rs256AuthMark(...args: string[]): Promise<number>;
  rs256AuthReseeded(...args: string[]): Promise<number>;
}

/** Defines the store's scripts on `client` (sent by digest from then on) and returns it as their commands. */
export function defineScripts(client: RedisClient): ScriptCommands {
  client.defineCommand('rs256AuthCreate', { lua: CREATE_SCRIPT, numberOfKeys: 2 });
  client.defineCommand('rs256AuthRotate', { lua: ROTATE_SCRIPT, numberOfKeys: 6 });
  client.defineCommand('rs256AuthMark', { lua: MARK_SCRIPT, numberOfKeys: 2 });
  client.defineCommand('rs256AuthRevoke', { lua: REVOKE_SCRIPT });
  client.defineCommand('rs256AuthReseeded', { lua: RESEEDED_SCRIPT, numberOfKeys: 3 });
  return client as unknown as ScriptCommands;
}
