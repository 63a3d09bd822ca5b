/**
 * Every multi-key Redis operation of the hot tier, one Lua script each, so each is atomic and
 * one round trip. Key layout: see `redis-keys.ts`. Scripts declare the fixed keys of a thread in
 * KEYS (Cluster routes on them); per-checkpoint keys are derived from the thread base passed in
 * ARGV and always carry the same hash tag, so they live in the same slot.
 *
 * Conventions: `\0` separates the parts of a member or field; `\1` separates the channel refs
 * stored in a checkpoint hash. Lua compares strings bytewise (Redis runs scripts in the C
 * locale), which is the order of checkpoint ids.
 */

/** Shared helpers, prepended to every script. */
const PRELUDE = `
local function enc(s)
  return (string.gsub(s, '[^%w%._~%-]', function(c) return string.format('%%%02X', string.byte(c)) end))
end
local function split(s, sep)
  local out = {}
  if s == nil or s == '' then return out end
  local from = 1
  while true do
    local at = string.find(s, sep, from, true)
    if not at then out[#out + 1] = string.sub(s, from); break end
    out[#out + 1] = string.sub(s, from, at - 1)
    from = at + 1
  end
  return out
end
-- A checkpoint is one string value (a hash with values over 64 bytes costs ~400 bytes more):
-- the record-codec packing of refs, cold, then the parts only the client reads. Each part is a
-- 4-byte big-endian length and its bytes; scripts read and rewrite the first two only.
local function u32(s, at)
  local a, b, c, d = string.byte(s, at, at + 3)
  return ((a * 256 + b) * 256 + c) * 256 + d
end
local function p32(n)
  return string.char(math.floor(n / 16777216) % 256, math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)
end
-- Returns refs, cold and the rest of a checkpoint value (from its third part on).
local function cpHead(v)
  local n1 = u32(v, 1)
  local at = 5 + n1
  local n2 = u32(v, at)
  return string.sub(v, 5, 4 + n1), string.sub(v, at + 4, at + 3 + n2), string.sub(v, at + 4 + n2)
end
local function cpValue(refs, cold, rest)
  return p32(#refs) .. refs .. p32(#cold) .. cold .. rest
end
-- One entry as reads and migration return it: checkpoint value ('' when absent), the values
-- its refs name (in refs order), and its writes hash (flat).
local function readEntry(base, e, blobKey, id)
  local cp = redis.call('GET', base .. 'cp:' .. e .. ':' .. id) or ''
  local blobs = {}
  if cp ~= '' then
    local refs = split((cpHead(cp)), '\\1')
    if #refs > 0 then blobs = redis.call('HMGET', blobKey, unpack(refs)) end
  end
  return cp, blobs, redis.call('HGETALL', base .. 'w:' .. e .. ':' .. id)
end
local function cpRefs(cpKey)
  local v = redis.call('GET', cpKey)
  if not v then return nil end
  local refs = cpHead(v)
  return refs
end
-- Removes one entry (checkpoint + writes) from Redis and releases its channel-value references.
local function evictEntry(base, ns, id)
  local e = enc(ns)
  local cpKey = base .. 'cp:' .. e .. ':' .. id
  local member = ns .. '\\0' .. id
  local refs = cpRefs(cpKey)
  if refs then
    local brefKey = base .. 'bref:' .. e
    local blobKey = base .. 'b:' .. e
    for _, f in ipairs(split(refs, '\\1')) do
      if redis.call('HINCRBY', brefKey, f, -1) <= 0 then
        redis.call('HDEL', brefKey, f)
        redis.call('HDEL', blobKey, f)
      end
    end
  end
  redis.call('DEL', cpKey, base .. 'w:' .. e .. ':' .. id)
  local idxKey = base .. 'idx:' .. e
  redis.call('ZREM', idxKey, id)
  redis.call('ZREM', base .. 'age', member)
  redis.call('ZREM', base .. 'copied', member)
  redis.call('HDEL', base .. 'ver', member)
  if redis.call('ZCARD', idxKey) == 0 then redis.call('SREM', base .. 'ns', ns) end
end
local function minScore(key)
  local r = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  if r[2] then return r[2] end
  return ''
end
-- Marks an entry as changed: gives it a new, never-repeating version token (a counter would
-- restart after eviction and let a stalled migrator's clean-up match a newer entry: ABA) and,
-- if it had been copied already, queues it for copying again (keeping its original age).
-- Returns the age the global index must know: the original age of a re-queued entry, else
-- now (an entry already queued is in the global index with its age or an older one).
local function touchEntry(base, member, now, token)
  redis.call('HSET', base .. 'ver', member, token)
  local copiedScore = redis.call('ZSCORE', base .. 'copied', member)
  if copiedScore then
    redis.call('ZREM', base .. 'copied', member)
    redis.call('ZADD', base .. 'age', copiedScore, member)
    return copiedScore
  end
  redis.call('ZADD', base .. 'age', 'NX', now, member)
  return now
end
-- Records the thread in the global indexes from inside the write script when the caller passed
-- their keys (one node: no slot rule), so one script is the whole write and the index update
-- trivially follows the thread's keys. On a Cluster the caller sends those commands itself.
local function indexThread(ageKey, activeKey, threadId, score, now, trackActivity)
  if not ageKey then return end
  redis.call('ZADD', ageKey, 'LT', score, threadId)
  if trackActivity == '1' then redis.call('ZADD', activeKey, 'GT', now, threadId) end
end
`;

/**
 * put. KEYS: the thread's age set (it routes the call: every key of the thread shares its slot;
 * the others are derived from the thread base), [threadsByAge, threadsActive].
 * ARGV: base, encodedNs, ns, checkpointId, now, rest (packed skeleton, skeletonType, metadata,
 *       metadataType, parentId), nBlobs, (field, packedValue) x nBlobs, refs (fields joined by
 *       \\1), versionToken, trackActivity, threadId.
 * Returns the age the global index must know (see touchEntry).
 */
export const PUT_CHECKPOINT = `${PRELUDE}
local base, e, ns, id, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local token, trackActivity, threadId = ARGV[#ARGV - 2], ARGV[#ARGV - 1], ARGV[#ARGV]
local cpKey, blobKey, brefKey = base .. 'cp:' .. e .. ':' .. id, base .. 'b:' .. e, base .. 'bref:' .. e
-- Tombstones come only from the thread TTL, which is also what tracks activity.
if trackActivity == '1' then
  if redis.call('EXISTS', base .. 'expired') == 1 then return redis.error_reply('TC_THREAD_EXPIRED') end
  redis.call('SET', base .. 'last', now)
end
local i = 7
local nBlobs = tonumber(ARGV[i]); i = i + 1
local written = {}
if nBlobs > 0 then
  redis.call('HSET', blobKey, unpack(ARGV, i, i + 2 * nBlobs - 1))
  for j = i, i + 2 * nBlobs - 1, 2 do written[ARGV[j]] = true end
  i = i + 2 * nBlobs
end
-- Count a reference for every value Redis holds; remember the others, which live in PostgreSQL
-- only (the thread resumed after its history migrated), so reads know where to look. A value
-- is in Redis exactly when its reference count is (both are removed together), so one HINCRBY
-- both counts and tells: a count that starts at 1 for a value this put did not write was absent.
local counted, cold = {}, {}
for _, f in ipairs(split(ARGV[i], '\\1')) do
  if redis.call('HINCRBY', brefKey, f, 1) == 1 and not written[f] then
    redis.call('HDEL', brefKey, f)
    cold[#cold + 1] = f
  else
    counted[#counted + 1] = f
  end
end
-- A checkpoint put again under the same id releases the references of its previous version,
-- after the new ones were counted so a value both share never drops to zero.
local old = redis.call('SET', cpKey, cpValue(table.concat(counted, '\\1'), table.concat(cold, '\\1'), ARGV[6]), 'GET')
if old then
  for _, f in ipairs(split((cpHead(old)), '\\1')) do
    if redis.call('HINCRBY', brefKey, f, -1) <= 0 then
      redis.call('HDEL', brefKey, f)
      redis.call('HDEL', blobKey, f)
    end
  end
end
redis.call('ZADD', base .. 'idx:' .. e, 0, id)
redis.call('SADD', base .. 'ns', ns)
local score = touchEntry(base, ns .. '\\0' .. id, now, token)
indexThread(KEYS[2], KEYS[3], threadId, score, now, trackActivity)
return score
`;
/**
 * Brings channel values that live only in PostgreSQL back into Redis for a hot checkpoint that
 * references them (a thread resumed after its history migrated), so its reads stay hot. The
 * values were read from PostgreSQL by the first read of the checkpoint. Skipped if the
 * checkpoint was evicted meanwhile. KEYS: cp, blobs, brefs. ARGV: (field, packedValue) x n. Returns the count adopted.
 */
export const ADOPT_BLOBS = `${PRELUDE}
local value = redis.call('GET', KEYS[1])
if not value then return 0 end
local refs, coldText, rest = cpHead(value)
local cold = split(coldText, '\\1')
local adopted = 0
for i = 1, #ARGV, 2 do
  local f = ARGV[i]
  for j = 1, #cold do
    if cold[j] == f then
      table.remove(cold, j)
      redis.call('HSETNX', KEYS[2], f, ARGV[i + 1])
      redis.call('HINCRBY', KEYS[3], f, 1)
      refs = (refs == '') and f or (refs .. '\\1' .. f)
      adopted = adopted + 1
      break
    end
  end
end
redis.call('SET', KEYS[1], cpValue(refs, table.concat(cold, '\\1'), rest))
return adopted
`;

/**
 * putWrites. KEYS: the thread's age set (routing, as for put), [threadsByAge, threadsActive].
 * ARGV: base, encodedNs, ns, checkpointId, now, versionToken, trackActivity ('1': record the
 * last write, for the thread TTL), threadId, (field, packedValue, special) x n.
 * Regular writes keep the first value stored under (task, idx); special channels
 * (negative idx) are replaced, as LangGraph's savers do. Returns the age the global index must know (see touchEntry).
 */
export const PUT_WRITES = `${PRELUDE}
local base, e, ns, id, now, token, trackActivity = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local writesKey = base .. 'w:' .. e .. ':' .. id
-- Tombstones come only from the thread TTL, which is also what tracks activity.
if trackActivity == '1' then
  if redis.call('EXISTS', base .. 'expired') == 1 then return redis.error_reply('TC_THREAD_EXPIRED') end
  redis.call('SET', base .. 'last', now)
end
for i = 9, #ARGV, 3 do
  if ARGV[i + 2] == '1' then redis.call('HSET', writesKey, ARGV[i], ARGV[i + 1])
  else redis.call('HSETNX', writesKey, ARGV[i], ARGV[i + 1]) end
end
local score = touchEntry(base, ns .. '\\0' .. id, now, token)
indexThread(KEYS[2], KEYS[3], ARGV[8], score, now, trackActivity)
return score
`;
/**
 * getTuple. KEYS: idx, blobs, coldmax. ARGV: base, encodedNs, ns, checkpointId ('' = latest).
 * Returns { id, coldMax, checkpointValue ('' when absent), blobValues (aligned with its refs),
 * writesHash (flat), writesFor (the checkpoint id the writes belong to) }.
 * The writes of a checkpoint that lives in PostgreSQL only are still returned: late writes land
 * in Redis. "Latest" with no hot checkpoint returns the writes of the cold high-water mark, which
 * is PostgreSQL's latest unless the thread has history from elsewhere, so the cold read needs no
 * second Redis round trip.
 */
export const GET_TUPLE = `${PRELUDE}
local base, e, ns, id = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if id == '' then
  local latest = redis.call('ZREVRANGEBYLEX', KEYS[1], '+', '-', 'LIMIT', 0, 1)
  id = latest[1] or ''
end
local coldMax = redis.call('HGET', KEYS[3], ns) or ''
if id == '' then
  if coldMax == '' then return { '', '', '', {}, {}, '' } end
  return { '', coldMax, '', {}, redis.call('HGETALL', base .. 'w:' .. e .. ':' .. coldMax), coldMax }
end
local cp, blobs, writes = readEntry(base, e, KEYS[2], id)
return { id, coldMax, cp, blobs, writes, id }
`;

/**
 * One page of a namespace's hot checkpoints, newest first, with their values and writes, and
 * the namespace's cold high-water mark (whether PostgreSQL may hold newer ones): a list is one
 * round trip. KEYS: idx, blobs, coldmax. ARGV: base, encodedNs, ns, before ('' = none;
 * exclusive), limit. Returns { coldMax, { id, checkpointValue, blobValues, writesHash } x n }.
 */
export const LIST_PAGE = `${PRELUDE}
local base, e, ns, before, limit = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local max = '+'
if before ~= '' then max = '(' .. before end
local out = {}
for _, id in ipairs(redis.call('ZREVRANGEBYLEX', KEYS[1], max, '-', 'LIMIT', 0, limit)) do
  local cp, blobs, writes = readEntry(base, e, KEYS[2], id)
  out[#out + 1] = { id, cp, blobs, writes }
end
return { redis.call('HGET', KEYS[3], ns) or '', out }
`;

/**
 * Reads the due entries of one thread for migration: the oldest uncopied ones at or before the
 * cutoff (up to a limit), each atomically with its version token, so the clean-up later removes
 * exactly what was copied. Choosing and reading in one script also means an entry cannot leave
 * between being chosen and being read.
 * KEYS: age, ver. ARGV: base, cutoff, limit, after ('' or a member: start after it in the set's
 * order, for a thread whose first entries are still in flight in another batch; read from the
 * start if it left the set meanwhile: re-copying is idempotent).
 * Returns per entry { member, ageScore, ver, checkpointValue ('' when absent), blobValues, writesHash }, oldest first.
 */
export const READ_ENTRIES = `${PRELUDE}
local base, cutoff, limit = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local from = 0
if ARGV[4] ~= '' then from = (redis.call('ZRANK', KEYS[1], ARGV[4]) or -1) + 1 end
local ranked = redis.call('ZRANGE', KEYS[1], from, from + limit - 1, 'WITHSCORES')
local due = {}
for i = 1, #ranked, 2 do
  if tonumber(ranked[i + 1]) > cutoff then break end
  due[#due + 1] = ranked[i]; due[#due + 1] = ranked[i + 1]
end
local out = {}
for i = 1, #due, 2 do
  local member = due[i]
  local at = string.find(member, '\\0', 1, true)
  local ns, id = string.sub(member, 1, at - 1), string.sub(member, at + 1)
  local e = enc(ns)
  local ver = redis.call('HGET', KEYS[2], member) or ''
  local cp, blobs, writes = readEntry(base, e, base .. 'b:' .. e, id)
  out[#out + 1] = { member, due[i + 1], ver, cp, blobs, writes }
end
return out
`;

/**
 * After a batch committed in PostgreSQL: for each entry whose version token still equals the one
 * read, evict it (ARGV evict = '1') or mark it copied; entries that changed meanwhile stay queued
 * and are copied again. Raises the per-namespace cold high-water mark, from finished entries
 * only (an entry deleted meanwhile must not leave a mark behind).
 * KEYS: age, copied, ver, coldmax. ARGV: base, evict, nEntries, (ns, id, ver, hasCheckpoint) x n.
 * Returns { finished, changed, oldestUncopied, oldestCopied }.
 */
export const FINISH_COPY = `${PRELUDE}
local base, evict = ARGV[1], ARGV[2]
local n = tonumber(ARGV[3])
local finished, changed = 0, 0
local marks = {}
local i = 4
for _ = 1, n do
  local ns, id, ver, hasCheckpoint = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]; i = i + 4
  local member = ns .. '\\0' .. id
  local cur = redis.call('HGET', KEYS[3], member) or ''
  if cur == '' and ver == '' then
    -- Nothing there: an index entry without data (a crash between indexing and storing), or
    -- an entry another migrator already finished. Drop the index entry; nothing was moved.
    redis.call('ZREM', KEYS[1], member)
  elseif cur == ver then
    if evict == '1' then
      evictEntry(base, ns, id)
    else
      local score = redis.call('ZSCORE', KEYS[1], member)
      redis.call('ZREM', KEYS[1], member)
      if score then redis.call('ZADD', KEYS[2], score, member) end
    end
    finished = finished + 1
    if hasCheckpoint == '1' and ((not marks[ns]) or id > marks[ns]) then marks[ns] = id end
  else
    changed = changed + 1
  end
end
for ns, maxId in pairs(marks) do
  local cur = redis.call('HGET', KEYS[4], ns)
  if (not cur) or maxId > cur then redis.call('HSET', KEYS[4], ns, maxId) end
end
return { finished, changed, minScore(KEYS[1]), minScore(KEYS[2]) }
`;

/**
 * Evicts copied entries older than the hot window. An entry in 'copied' has not changed since it
 * was copied (any change moves it back to 'age'), so it is safe in PostgreSQL.
 * KEYS: copied, age. ARGV: base, cutoff, limit. Returns { evicted, oldestCopied, oldestUncopied }
 * (both oldest scores, so the thread is re-indexed without another read).
 */
export const EVICT_COPIED = `${PRELUDE}
local base = ARGV[1]
local members = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
for _, member in ipairs(members) do
  local at = string.find(member, '\\0', 1, true)
  evictEntry(base, string.sub(member, 1, at - 1), string.sub(member, at + 1))
end
return { #members, minScore(KEYS[1]), minScore(KEYS[2]) }
`;

/**
 * deleteThread: every key of one thread. KEYS: ns, age, copied, ver, coldmax.
 * ARGV: base, idleBefore ('' = unconditional; else only if the last write is not newer: thread
 * TTL), tombstoneMs ('' = none). Returns the keys deleted, or -1 when the thread was not idle.
 * Entries come from the namespace indexes and from the age/copied sets, which also name
 * writes-only entries (late writes to checkpoints that live in PostgreSQL).
 */
export const DELETE_THREAD = `${PRELUDE}
local base, idleBefore, tombstoneMs = ARGV[1], ARGV[2], ARGV[3]
-- Thread TTL: delete only if the thread is still idle (no write since the sweep chose it).
if idleBefore ~= '' then
  local last = redis.call('GET', base .. 'last')
  if last and tonumber(last) > tonumber(idleBefore) then return -1 end
end
local deleted = 0
local function dropEntry(ns, id)
  local e = enc(ns)
  deleted = deleted + redis.call('DEL', base .. 'cp:' .. e .. ':' .. id, base .. 'w:' .. e .. ':' .. id)
end
for _, ns in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local e = enc(ns)
  for _, id in ipairs(redis.call('ZRANGE', base .. 'idx:' .. e, 0, -1)) do dropEntry(ns, id) end
  redis.call('DEL', base .. 'idx:' .. e, base .. 'b:' .. e, base .. 'bref:' .. e)
end
for _, key in ipairs({ KEYS[2], KEYS[3] }) do
  for _, member in ipairs(redis.call('ZRANGE', key, 0, -1)) do
    local at = string.find(member, '\\0', 1, true)
    local ns = string.sub(member, 1, at - 1)
    dropEntry(ns, string.sub(member, at + 1))
    local e = enc(ns)
    redis.call('DEL', base .. 'b:' .. e, base .. 'bref:' .. e, base .. 'idx:' .. e)
  end
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], base .. 'last')
-- An expired thread keeps a tombstone for a while: a late write is refused instead of
-- starting the thread again from nothing. An explicit deleteThread lifts one: the caller
-- chose to end the thread, and may start it again (as with MemorySaver).
if tombstoneMs ~= '' then redis.call('SET', base .. 'expired', '1', 'PX', tombstoneMs)
elseif idleBefore == '' then redis.call('DEL', base .. 'expired') end
return deleted
`;

/**
 * Deletes chosen entries of one thread (prune): checkpoint, writes, index and age entries, and
 * releases their channel-value references. KEYS: ver. ARGV: base, (ns, id) x n. Returns the count.
 */
export const DELETE_ENTRIES = `${PRELUDE}
local base = ARGV[1]
local n = 0
for i = 2, #ARGV, 2 do
  evictEntry(base, ARGV[i], ARGV[i + 1])
  n = n + 1
end
return n
`;

/** Takes (or re-takes) the migration lease. KEYS: lease. ARGV: token, ttlMs. Returns 1 when held. */
export const LEASE_ACQUIRE = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]); return 1 end
return 0
`;

/** Extends the lease if this token still holds it. KEYS: lease. ARGV: token, ttlMs. */
export const LEASE_RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

/** Releases the lease if this token still holds it. KEYS: lease. ARGV: token. */
export const LEASE_RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;
