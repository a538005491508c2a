/**
 * Redis Cluster's key → slot mapping (CRC16-XMODEM of the hash tag, mod 16384), so the store can
 * group a request's calls by slot before it sends them: one script per slot, all in one pipeline.
 */

const TABLE = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let crc = i << 8;
  for (let j = 0; j < 8; j++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  TABLE[i] = crc;
}

/**
 * The cluster slot of `key` (0 … 16383), honouring `{hash tags}` as Redis does.
 *
 * @example
 * keySlot('rl:login:{203.0.113.7}') === keySlot('rl:signup:{203.0.113.7}'); // true
 */
export function keySlot(key: string): number {
  let start = key.indexOf('{');
  let end = key.length;
  if (start !== -1) {
    const close = key.indexOf('}', start + 1);
    // An empty tag `{}` does not count: the whole key is hashed.
    if (close > start + 1) end = close;
    else start = -1;
  }
  const bytes = Buffer.from(start === -1 ? key : key.slice(start + 1, end), 'utf8');
  let crc = 0;
  for (let i = 0; i < bytes.length; i++) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ bytes[i]!) & 0xff]!;
  return crc & 16383;
}
