/**
 * The two Lua scripts behind the Redis store's shared trackers (SharedTrackers in ../types.ts): one
 * appends to logs, one adds to counters. Each applies its items in order, so items for one key see
 * each other's effect, and answers every item in the same round trip.
 *
 * APPEND
 * KEYS: one log key per item, in item order (a key may repeat).
 * ARGV: per item: capacity, ttlMs, n, then the item's n entries (n = 0: the item only reads).
 * Reply: per item, the log after its append, oldest first (an empty array for a missing log).
 * An item with entries RPUSHes them, LTRIMs the list to its newest `capacity` and sets the TTL to
 * `ttlMs`. A read is one LRANGE: it creates no key and leaves the TTL alone.
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
local a = 1
for i = 1, #KEYS do
  local key = KEYS[i]
  local n = tonumber(ARGV[a + 2])
  if n > 0 then
    redis.call('RPUSH', key, unpack(ARGV, a + 3, a + 2 + n))
    redis.call('LTRIM', key, -tonumber(ARGV[a]), -1)
    redis.call('PEXPIRE', key, ARGV[a + 1])
  end
  out[i] = redis.call('LRANGE', key, 0, -1)
  a = a + 3 + n
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
