/**
 * The per-block journal's record: its fields, in order, and the kind of value each holds. The order is
 * that of /blocks' JSON, of the OTLP log record's attributes and of the record SQLite keeps; the kind
 * says which arguments may fill a field (checked in the catalogue's `journal` declarations) and how a
 * table shows it (`fibre-agent blocks`, the page). A field not `computed` is filled from an argument
 * by every tracepoint whose `journal` names it; the journal computes the others (agent/journal/).
 */
import type { Severity } from './metrics.js';

/** Units of a duration field: a table shows each in milliseconds. */
export type DurationUnit = 'ns' | 'us' | 'ms' | 's';

/**
 * What a field holds. hash: the block's hash as display-order hex; instant: a time as ISO 8601 UTC
 * (neither is ever null). label: a value of a known label set, which the argument's string was matched
 * against; peer: free text from the network, as the peer labels decode it, escaped wherever it is
 * shown; text: the agent's own words.
 */
export type FieldKind = 'hash' | 'instant' | 'label' | 'peer' | 'integer' | 'duration' | 'severity' | 'text';

export type FieldSpec =
  | { readonly kind: Exclude<FieldKind, 'duration'>; readonly computed?: true }
  | { readonly kind: 'duration'; readonly unit: DurationUnit; readonly computed?: true };

export const JOURNAL_FIELDS = {
  /** Display order (the byte-reversed internal hash), lower-case hex: the key a block's events join by. */
  hash: { kind: 'hash' },
  height: { kind: 'integer' },
  /** When the block's first probe fired (the kernel's clock of the event), ISO 8601 UTC. */
  first_seen: { kind: 'instant', computed: true },
  /** fibre_udp, bip152_cmpct or other, as fibre_block_deliveries_total's mechanism label. */
  winner: { kind: 'label' },
  winner_peer: { kind: 'peer' },
  /** Nanoseconds from the block's first announcement to its delivery over FIBRE; null: never delivered. */
  udp_ns: { kind: 'duration', unit: 'ns' },
  cmpct_ns: { kind: 'duration', unit: 'ns' },
  /** How much earlier the first path delivered than the second, when both did. */
  margin_ns: { kind: 'duration', unit: 'ns', computed: true },
  udp_peer: { kind: 'peer' },
  cmpct_peer: { kind: 'peer' },
  /** The peer udp:block_reconstructed names. */
  fibre_peer: { kind: 'peer' },
  chunks_used: { kind: 'integer' },
  chunks_recvd: { kind: 'integer' },
  num_peers: { kind: 'integer' },
  reconstruction_us: { kind: 'duration', unit: 'us' },
  missing_tx_count: { kind: 'integer' },
  missing_tx_bytes: { kind: 'integer' },
  mempool_tx_count: { kind: 'integer' },
  total_tx_count: { kind: 'integer' },
  tx_count: { kind: 'integer' },
  inputs: { kind: 'integer' },
  sigops: { kind: 'integer' },
  /** validation:block_connected's connect time in seconds, whatever unit this bitcoind uses. */
  connect_seconds: { kind: 'duration', unit: 's' },
  /** From the first of the block's probes to validation:block_connected, by the times they fired. */
  seen_to_connected_ms: { kind: 'duration', unit: 'ms', computed: true },
  slow: { kind: 'severity', computed: true },
  /** Why it is slow, in words, e.g. "reconstruction 120.0 ms >= 100 ms". */
  slow_reason: { kind: 'text', computed: true },
} as const satisfies Readonly<Record<string, FieldSpec>>;

export type JournalField = keyof typeof JOURNAL_FIELDS;

export type KindOf<F extends JournalField> = (typeof JOURNAL_FIELDS)[F]['kind'];

/** The fields an argument fills: those the journal does not compute. */
export type FilledField = {
  [F in JournalField]: (typeof JOURNAL_FIELDS)[F] extends { readonly computed: true } ? never : F;
}[JournalField];

type ValueOfKind<K extends FieldKind> = K extends 'hash' | 'instant'
  ? string
  : K extends 'severity'
    ? Severity | null
    : K extends 'label' | 'peer' | 'text'
      ? string | null
      : number | null;

/** A record's fields with their values: null until a probe gave one (or the journal computed it). */
export type JournalFields = { -readonly [F in JournalField]: ValueOfKind<KindOf<F>> };

/** The fields in record order. */
export const JOURNAL_FIELD_NAMES = Object.keys(JOURNAL_FIELDS) as JournalField[];
