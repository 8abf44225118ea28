/**
 * Bitcoin Core's release lines, as the agent tells them apart from a binary without running it, and
 * the ranges the catalogue declares per-release semantics in. Plain data; the telling itself is in
 * agent/source/release.ts.
 *
 * Facts come from each release's source (../shared/reference/bitcoin-core-tracepoints-by-version.md)
 * and, where a binary exists here (v28, v30, v31), were checked on it.
 */

/** Oldest first. A point release (28.1, 28.4) changes no tracepoint, so it is its line. */
export const RELEASES = ['v23', 'v24', 'v25', 'v26', 'v27', 'v28', 'v29', 'v30', 'v31'] as const;
export type Release = (typeof RELEASES)[number];
export const NEWEST: Release = 'v31';

/** Releases from `from` to `to`, both included; an open end runs to the oldest or the newest. */
export interface Range {
  readonly from?: Release;
  readonly to?: Release;
}

const order = (r: Release) => RELEASES.indexOf(r);

export function inRange(release: Release, range: Range): boolean {
  const i = order(release);
  return (range.from === undefined || i >= order(range.from)) && (range.to === undefined || i <= order(range.to));
}

/** "v25", "v25–v28", "v29 and later", "up to v24". */
export function rangeText(range: Range): string {
  const from = range.from ?? RELEASES[0];
  const to = range.to ?? NEWEST;
  if (range.to === undefined) return `${from} and later`;
  if (from === to) return from;
  if (range.from === undefined) return `up to ${to}`;
  return `${from}–${to}`;
}

/**
 * Strings that stay whole (NUL on both sides) in .rodata and tell apart releases whose tracepoints
 * look the same: option names passed to the argument parser and the flush mode names. A version
 * literal is no use: the compiler builds a short std::string from immediates, so "v31.0.0" is not
 * in the file. Checked on the real v28, v30 and v31 binaries; the others from the source of each tag.
 */
export const MARKERS: readonly { readonly text: string; readonly in: Range }[] = [
  { text: '-rpcserialversion', in: { to: 'v26' } },
  { text: '-mempoolfullrbf', in: { from: 'v24', to: 'v28' } },
  { text: '-persistmempoolv1', in: { from: 'v27' } },
  { text: '-testnet4', in: { from: 'v28' } },
  { text: 'IF_NEEDED', in: { from: 'v30' } },
  { text: 'FORCE_SYNC', in: { from: 'v31' } },
];

/** Semaphores guard every tracepoint from v29 (TRACEPOINT_SEMAPHORE); before, probes always fire. */
export const SEMAPHORES: Range = { from: 'v29' };

/** What the agent concluded about a binary, and why: sent with each attachment, shown as bitcoin_build_info. */
export interface BuildInfo {
  /** A release line ("v31"), a range when the binary cannot tell ("v26–v27"), "newer than v31", or "unknown". */
  readonly release: string;
  /** The release whose semantics the agent applies. */
  readonly semantics: Release;
  /** The release is one the agent knows (not newer, not unknown). */
  readonly verified: boolean;
  /** The evidence, for the log: "20 Bitcoin Core probes, with semaphores; .rodata: FORCE_SYNC". */
  readonly toldFrom: string;
}

/**
 * The release line of RPC's `version` integer (getnetworkinfo): 310000 -> "v31", 280100 -> "v28". A
 * development build between releases numbers itself MAJOR.99 (299900): it is the next line, v30.
 */
export function releaseOfVersion(version: number): string {
  const major = Math.floor(version / 10_000);
  const minor = Math.floor(version / 100) % 100;
  return `v${minor === 99 ? major + 1 : major}`;
}

/**
 * Whether a release told from the binary ("v31", "v26–v27", "newer than v31", "unknown") contains a
 * release line ("v28"). Unknown contains everything: it asserts nothing to disagree with.
 */
export function releaseContains(told: string, line: string): boolean {
  const n = Number(/^v(\d+)$/.exec(line)?.[1]);
  const bounds = [...told.matchAll(/v(\d+)/g)].map((m) => Number(m[1]));
  if (!Number.isFinite(n) || bounds.length === 0) return true;
  if (told.startsWith('newer than')) return n > (bounds[0] as number);
  return n >= (bounds[0] as number) && n <= (bounds.at(-1) as number);
}
