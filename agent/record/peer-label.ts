/**
 * Peer strings come from the network and from bitcoind's formatting. As label values they are the
 * peer's own string, so a query for the peer bitcoind reported finds it; their number is capped,
 * because an unbounded label set grows the agent's memory and Prometheus's series count without limit.
 */

/** WHATWG decoding: each maximal invalid UTF-8 sequence becomes U+FFFD, the rest is kept byte for byte. */
const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/**
 * The label value of a peer string: valid UTF-8 as it is (the exposition format escapes `\`, `"` and
 * newlines itself), bytes that are not valid UTF-8 replaced by U+FFFD, the one replacement documented.
 */
export function labelValue(bytes: Buffer): string {
  return utf8.decode(bytes);
}

/**
 * A string from outside made safe for one log line: control characters (C0, DEL, C1) and the backslash
 * written as escapes, so a peer string can neither break the line nor pass for one of our own.
 */
export function logSafe(text: string): string {
  return text.replace(/[\\\p{Cc}]/gu, (c) =>
    c === '\\' ? '\\\\' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

export const OVERFLOW_PEER = 'other';

export class PeerLabels {
  private readonly seen = new Map<string, string>();

  constructor(
    private readonly limit: number,
    private readonly onOverflow: () => void,
  ) {}

  /** The label of one delivery's peer; past the limit "other", counted as an overflow. */
  label(peer: Buffer): string {
    const label = this.admit(peer);
    if (label !== undefined) return label;
    this.onOverflow();
    return OVERFLOW_PEER;
  }

  /** The peer's label if it is kept (known, or room left), undefined past the limit. */
  admit(peer: Buffer): string | undefined {
    // Keyed by the raw bytes: two invalid peers that decode alike still count against the cap once each.
    const key = peer.toString('latin1');
    const known = this.seen.get(key);
    if (known !== undefined || this.seen.size >= this.limit) return known;
    const label = labelValue(peer);
    this.seen.set(key, label);
    return label;
  }

  get size(): number {
    return this.seen.size;
  }
}
