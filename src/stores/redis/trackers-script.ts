/**
 * The two Lua scripts behind the Redis store's shared trackers (SharedTrackers in ../types.ts): one
 * appends to logs, one adds to counters. Each applies its items in order, so items for one key see
 * each other's effect, and answers every item in the same round trip.
 *
 * APPEND
 * KEYS: one log key per item, in item order (a key may repeat), then each log's writer key, in the
 * same order (the log key plus `w`: same hash tag, same slot).
 * ARGV: per item: capacity, ttlMs, writer ('' for none), n, then the item's n entries (n = 0: the
 * item only reads).
 * Reply: per item, the log after its append, oldest first (an empty array for a missing log), or nil
 * when the item's writer also made the log's append before this one.
 * An item with entries RPUSHes them, LTRIMs the list to its newest `capacity` once it is longer, sets
 * the TTL to `ttlMs`, and swaps its writer into the writer key (SET … GET, same TTL; DEL without a
 * writer). Most appends of a client that stays on one instance then cost no LRANGE and no reply to
 * speak of. A read is one LRANGE: it creates no key and leaves the TTL alone.
 *
 * ADD
 * KEYS: one counter key per item, in item order.
 * ARGV: per item: amount, ttlMs.
 * Reply: per item, the counter's total after its add as a decimal string ('0' for a missing counter
 * read with amount 0). Strings, because integer replies near 2^53 come back rounded (Lua numbers are
 * doubles, and so is the client's parse of a large integer reply); GET answers the stored digits.
 * A non-zero amount is INCRBY plus a TTL of `ttlMs`; 0 only GETs: it creates no key and leaves the
 * TTL alone.
 */
import { luaScript } from './lua-script.ts';

export const APPEND_SCRIPT = luaScript(`
local out = {}
local items = #KEYS / 2
local a = 1
for i = 1, items do
  local key = KEYS[i]
  local writer = ARGV[a + 2]
  local n = tonumber(ARGV[a + 3])
  local seen = false
  if n > 0 then
    local capacity = tonumber(ARGV[a])
    if redis.call('RPUSH', key, unpack(ARGV, a + 4, a + 3 + n)) > capacity then
      redis.call('LTRIM', key, -capacity, -1)
    end
    redis.call('PEXPIRE', key, ARGV[a + 1])
    if writer == '' then
      redis.call('DEL', KEYS[items + i])
    else
      seen = redis.call('SET', KEYS[items + i], writer, 'PX', ARGV[a + 1], 'GET') == writer
    end
  end
  if seen then out[i] = false else out[i] = redis.call('LRANGE', key, 0, -1) end
  a = a + 4 + n
end
return out
`);

export const ADD_SCRIPT = luaScript(`
local out = {}
for i = 1, #KEYS do
  local key = KEYS[i]
  local amount = ARGV[2 * i - 1]
  if tonumber(amount) ~= 0 then
    redis.call('INCRBY', key, amount)
    redis.call('PEXPIRE', key, ARGV[2 * i])
  end
  out[i] = redis.call('GET', key) or '0'
end
return out
`);
