/** A regtest private key the tests hold, as WIF: coins mined to it are spent without a wallet. */
import { createHash } from 'node:crypto';

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

function sha256(b: Buffer): Buffer {
  return createHash('sha256').update(b).digest();
}

function base58check(payload: Buffer): string {
  const data = Buffer.concat([payload, sha256(sha256(payload)).subarray(0, 4)]);
  let n = BigInt(`0x${data.toString('hex')}`);
  let out = '';
  while (n > 0n) {
    out = ALPHABET[Number(n % 58n)] + out;
    n /= 58n;
  }
  for (const byte of data) {
    if (byte !== 0) break;
    out = `1${out}`;
  }
  return out;
}

/** A compressed-key WIF for test and regtest networks (prefix 0xef), from a seed phrase. */
export function regtestWif(seed: string): string {
  const key = sha256(Buffer.from(seed));
  return base58check(Buffer.concat([Buffer.from([0xef]), key, Buffer.from([0x01])]));
}
