/**
 * Peer strings come from the network and from bitcoind's formatting, so as label values they are
 * made printable and their number is capped: an unbounded label set grows the agent's memory and
 * Prometheus's series count without limit.
 */

/** Printable ASCII kept, every other byte and the backslash as \xNN: distinct inputs stay distinct. */
export function printable(bytes: Buffer): string {
  let out = '';
  for (const b of bytes) {
    out += b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return out;
}

export const OVERFLOW_PEER = 'other';

export class PeerLabels {
  private readonly seen = new Map<string, string>();

  constructor(
    private readonly limit: number,
    private readonly onOverflow: () => void,
  ) {}

  label(peer: Buffer): string {
    const key = peer.toString('latin1');
    const known = this.seen.get(key);
    if (known !== undefined) return known;
    if (this.seen.size >= this.limit) {
      this.onOverflow();
      return OVERFLOW_PEER;
    }
    const label = printable(peer);
    this.seen.set(key, label);
    return label;
  }

  get size(): number {
    return this.seen.size;
  }
}
