/**
 * The one Lua script the Redis store runs: every limit call of a request (or every refund) in one
 * EVALSHA. It is a line-by-line port of src/limiters/*.ts and of the memory store's penalty box and
 * expiry rules, so the conformance suite can demand equal answers. Kept as a TS string (not a .lua
 * file) so the build ships it without a copy step.
 *
 * Numbers: Redis Lua numbers are doubles, exact for integers below 2^53. Every stored quantity is an
 * integer (ms, units, or ticks of 1/limit ms), so every comparison matches the TypeScript reference:
 * - fixed window:   a = window start, b = count
 * - sliding window: a = current window start, b = current count, c = previous count
 * - token bucket:   a = ticks owed (the TS state keeps owed / windowMs), b = last update
 * - GCRA:           a = TAT whole ms, b = TAT fraction in ticks (the TS state keeps ticks / limit)
 * Each counter key holds (a, b, c, blockedUntil) as a MessagePack sequence (integers, exact to 2^63),
 * with a TTL of what is left of its state or penalty box. A member key (a member of a call that
 * counts distinct members, see LimitCall.member) holds one integer: the time until which the member
 * counts as seen; its TTL is its window. Expiry is decided from the stored times and `now`, never
 * from the TTL: the TTL (plus the slack) only removes dead keys.
 *
 * KEYS: one counter key per call, in call order, then the member keys of the calls that have one.
 * ARGV: [1] now in ms, or "" for the server's TIME; [2] "c" consume / "r" refund; [3] TTL slack ms;
 * then 7 numbers per call: algorithm (1 fixed, 2 sliding, 3 token bucket, 4 GCRA), limit, windowMs,
 * burst, penaltyMs (consume) or consumedAt (refund), cost, and the KEYS index (from 1) of the call's
 * member key (0 = no member).
 * Reply (consume): 5 integers per call (allowed, blocked, remaining, resetMs, retryAfterMs), then now.
 * `blocked` is 1 for a penalty box and 2 when the call took nothing because its member was seen
 * within the window (the outcome's `skipped`).
 * Reply (refund): now. A refund with a member key also deletes that key.
 */
export const LIMITS_SCRIPT = `
local now
if ARGV[1] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
else
  now = tonumber(ARGV[1])
end
local refund = ARGV[2] == 'r'
local slack = tonumber(ARGV[3])

local calls = (#ARGV - 3) / 7

-- Every key is read once (one MGET) and written once at the end (one SET or DEL per key changed),
-- however often it appears: requests coalesced into one script often share a key (a global limit).
-- Member keys are read with the counters: a member state is a table of one value (seen until).
local state = {}
local values = redis.call('MGET', unpack(KEYS))
for i = 1, #KEYS do
  local key = KEYS[i]
  if state[key] == nil then
    local v = values[i]
    if v then state[key] = { cmsgpack.unpack(v) } else state[key] = false end
  end
end
local dirty, dirtyN, ttlOf = {}, 0, {}

local function load(key)
  local v = state[key]
  if not v then return false, 0, 0, 0, 0 end
  return true, v[1], v[2], v[3], v[4]
end

local function mark(key, v, ttl)
  if ttlOf[key] == nil then
    dirtyN = dirtyN + 1
    dirty[dirtyN] = key
  end
  state[key] = v
  ttlOf[key] = ttl
end

local function expires_at(alg, a, b, c, limit, win)
  if alg == 1 then
    if b > 0 then return a + win end
    return a
  elseif alg == 2 then
    if b > 0 then return a + 2 * win end
    if c > 0 then return a + win end
    return a
  elseif alg == 3 then
    if a <= 0 then return b end
    return b + math.ceil(a / limit)
  end
  if b > 0 then return a + 1 end
  return a
end

local function save(key, alg, a, b, c, bu, limit, win)
  local until_ = expires_at(alg, a, b, c, limit, win)
  if bu > until_ then until_ = bu end
  local ttl = until_ - now
  if ttl <= 0 then mark(key, false, 0) else mark(key, { a, b, c, bu }, ttl) end
end

-- writeBucketVerdict
local function bucket(allowed, owed, need, capacity, win, limit)
  local reset = math.ceil(owed / limit)
  local remaining = 0
  if owed < capacity then remaining = math.floor((capacity - owed) / win) end
  local retry
  if allowed then retry = 0
  elseif need <= capacity then retry = math.ceil((owed + need - capacity) / limit)
  elseif reset > 0 then retry = reset
  else retry = math.ceil(capacity / limit) end
  return remaining, reset, retry
end

-- Returns allowed, remaining, resetMs, retryAfterMs, a, b, c (the state after the call).
-- Token bucket: the time of the state after catching up to now, and the ticks still owed then
-- (tokenBucket's owedAt in src/limiters/token-bucket.ts).
local function owed_at(a, b, limit)
  if now <= b then return b, a end
  local owed = a - (now - b) * limit
  if owed < 0 then owed = 0 end
  return now, owed
end

local function consume(alg, a, b, c, cost, limit, win, burst)
  local need = cost
  if need <= 0 then need = 1 end
  if alg == 1 then
    local start = now - (now % win)
    local count = 0
    if start <= a then start = a; count = b end
    local allowed = count + need <= limit
    if allowed and cost > 0 then count = count + cost; a = start; b = count end
    local untilNext = start + win - now
    local reset = 0
    if count > 0 then reset = untilNext end
    local remaining = 0
    if count < limit then remaining = limit - count end
    local retry
    if allowed then retry = 0
    elseif need <= limit then retry = untilNext
    elseif reset > 0 then retry = reset
    else retry = win end
    return allowed, remaining, reset, retry, a, b, c
  elseif alg == 2 then
    local start = now - (now % win)
    local current, previous = 0, 0
    if start <= a then start = a; current = b; previous = c
    elseif start == a + win then previous = b end
    local elapsed = 0
    if now > start then elapsed = now - start end
    local room = limit * win - previous * (win - elapsed) - current * win
    local allowed = need * win <= room
    local left = room
    if allowed and cost > 0 then
      current = current + cost
      left = left - cost * win
      a = start; b = current; c = previous
    end
    local reset = 0
    if current > 0 then reset = start + 2 * win - now
    elseif previous > 0 then reset = start + win - now end
    local remaining = 0
    if left > 0 then remaining = math.floor(left / win) end
    local retry
    if allowed then retry = 0
    elseif need > limit then
      if reset > 0 then retry = reset else retry = win end
    else
      local spare = limit - current - need
      local at
      if spare >= 0 then
        at = start + win - math.floor((spare * win) / previous)
      else
        local wait = win - math.floor(((limit - need) * win) / current)
        if wait < 0 then wait = 0 end
        at = start + win + wait
      end
      retry = at - now
    end
    return allowed, remaining, reset, retry, a, b, c
  elseif alg == 3 then
    local capacity = burst * win
    local updated, owed = owed_at(a, b, limit)
    local needTicks = need * win
    local allowed = owed + needTicks <= capacity
    if allowed and cost > 0 then
      owed = owed + needTicks
      a = owed; b = updated
    end
    local remaining, reset, retry = bucket(allowed, owed, needTicks, capacity, win, limit)
    return allowed, remaining, reset, retry, a, b, c
  end
  local capacity = burst * win
  local ahead = (a - now) * limit + b
  if ahead < 0 then ahead = 0 end
  local needTicks = need * win
  local allowed = ahead + needTicks <= capacity
  if allowed and cost > 0 then
    ahead = ahead + needTicks
    local fraction = ahead % limit
    a = now + (ahead - fraction) / limit
    b = fraction
  end
  local remaining, reset, retry = bucket(allowed, ahead, needTicks, capacity, win, limit)
  return allowed, remaining, reset, retry, a, b, c
end

local function give_back(alg, a, b, c, cost, consumedAt, limit, win)
  if alg == 1 then
    if consumedAt - (consumedAt % win) ~= a then return false end
    if b > cost then b = b - cost else b = 0 end
  elseif alg == 2 then
    local start = consumedAt - (consumedAt % win)
    if start == a then
      if b > cost then b = b - cost else b = 0 end
    elseif start == a - win then
      if c > cost then c = c - cost else c = 0 end
    else
      return false
    end
  elseif alg == 3 then
    local updated, owed = owed_at(a, b, limit)
    local since = 0
    if updated > consumedAt then since = updated - consumedAt end
    local back = cost * win - since * limit
    if back <= 0 or owed == 0 then return false end
    if owed > back then owed = owed - back else owed = 0 end
    a = owed; b = updated
  else
    local ahead = (a - now) * limit + b
    if ahead <= 0 then return false end
    local since = 0
    if now > consumedAt then since = now - consumedAt end
    local back = cost * win - since * limit
    if back <= 0 then return false end
    if ahead > back then ahead = ahead - back else ahead = 0 end
    local fraction = ahead % limit
    a = now + (ahead - fraction) / limit
    b = fraction
  end
  return true, a, b, c
end

local out = {}
for i = 1, calls do
  local key = KEYS[i]
  local j = 3 + (i - 1) * 7
  local alg = tonumber(ARGV[j + 1])
  local limit = tonumber(ARGV[j + 2])
  local win = tonumber(ARGV[j + 3])
  local burst = tonumber(ARGV[j + 4])
  local extra = tonumber(ARGV[j + 5])
  local cost = tonumber(ARGV[j + 6])
  local mi = tonumber(ARGV[j + 7])
  local mkey = false
  if mi > 0 then mkey = KEYS[mi] end
  local found, a, b, c, bu = load(key)
  -- A member seen within its window takes nothing: the call becomes a peek, allowed unless boxed.
  local seen = false
  if mkey and not refund then
    local m = state[mkey]
    if m and m[1] > now then
      seen = true
      cost = 0
    end
  end
  if refund then
    -- Expired state is a fresh key: there is nothing left to give back.
    if found and expires_at(alg, a, b, c, limit, win) > now then
      local changed, na, nb, nc = give_back(alg, a, b, c, cost, extra, limit, win)
      if changed then save(key, alg, na, nb, nc, bu, limit, win) end
    end
    -- The refunded member is forgotten, so it counts again when next seen.
    if mkey and state[mkey] then mark(mkey, false, 0) end
  elseif found and bu > now then
    -- In the penalty box: a peek reports the algorithm's reset time, the state stays untouched.
    local _, _, reset = consume(alg, a, b, c, 0, limit, win, burst)
    local wait = bu - now
    if reset < wait then reset = wait end
    local k = #out
    out[k + 1] = 0; out[k + 2] = 1; out[k + 3] = 0; out[k + 4] = reset; out[k + 5] = wait
  else
    if found and expires_at(alg, a, b, c, limit, win) <= now then
      a, b, c, bu = 0, 0, 0, 0
      if cost == 0 then mark(key, false, 0) end
    end
    local allowed, remaining, reset, retry, na, nb, nc = consume(alg, a, b, c, cost, limit, win, burst)
    local blocked = 0
    if cost > 0 then
      if not allowed and extra > 0 then
        bu = now + extra
        blocked = 1
        remaining = 0
        retry = extra
        if reset < extra then reset = extra end
        save(key, alg, na, nb, nc, bu, limit, win)
      elseif allowed then
        save(key, alg, na, nb, nc, bu, limit, win)
      end
    end
    if seen then
      allowed = true
      blocked = 2
      retry = 0
    elseif mkey and allowed and cost > 0 then
      mark(mkey, { now + win }, win)
    end
    local k = #out
    if allowed then out[k + 1] = 1 else out[k + 1] = 0 end
    out[k + 2] = blocked; out[k + 3] = remaining; out[k + 4] = reset; out[k + 5] = retry
  end
end
for i = 1, dirtyN do
  local key = dirty[i]
  local v = state[key]
  if v then
    -- TTLs are far below 10^14 ms, so Lua's %.14g rendering of the number is exact.
    redis.call('SET', key, cmsgpack.pack(unpack(v)), 'PX', ttlOf[key] + slack)
  else
    redis.call('DEL', key)
  end
end
out[#out + 1] = now
return out
`;
