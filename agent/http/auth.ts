/**
 * HTTP basic auth for /metrics. Credentials are compared through SHA-256 digests with
 * timingSafeEqual: both sides always have the same length, so neither the length nor the content of
 * a guess changes how long the comparison takes, and username and password are both always checked.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Credentials } from '../config/security.js';

export const REALM = 'FIBRE Metrics';
export const CHALLENGE = `Basic realm="${REALM}", charset="UTF-8"`;

export type AuthResult = 'ok' | 'missing' | 'malformed' | 'wrong';

const digest = (s: string | Buffer) => createHash('sha256').update(s).digest();
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** Far above any real credential pair; Node's own header limit (16 KiB here) applies first. */
const MAX_TOKEN = 4096;

export class BasicAuth {
  private readonly user: Buffer;
  private readonly pass: Buffer;

  constructor(credentials: Credentials) {
    this.user = digest(credentials.username);
    this.pass = digest(credentials.password);
  }

  check(header: string | undefined): AuthResult {
    if (!header) return 'missing';
    const m = /^Basic +(\S+) *$/i.exec(header);
    const token = m?.[1];
    if (!token || token.length > MAX_TOKEN || token.length % 4 !== 0 || !BASE64.test(token)) return 'malformed';
    const decoded = Buffer.from(token, 'base64');
    const colon = decoded.indexOf(0x3a);
    if (colon === -1) return 'malformed';
    const userOk = timingSafeEqual(digest(decoded.subarray(0, colon)), this.user);
    const passOk = timingSafeEqual(digest(decoded.subarray(colon + 1)), this.pass);
    return userOk && passOk ? 'ok' : 'wrong';
  }
}
