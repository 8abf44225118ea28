/**
 * The metric catalogue: every Prometheus name the agent exposes, with its type, labels, help text
 * and buckets. These names are a public contract (dashboards and alerts depend on them): add, never
 * rename. Plain data: the program generator, the recorder and the exporters all read it.
 *
 * OpenTelemetry metrics carry no unit, and counters are named without their `_total` suffix: both
 * the Prometheus exporter and the collector's Prometheus translation then append exactly `_total` to
 * counters and nothing else, so pull and push produce the same names.
 */

export type MetricKind = 'counter' | 'gauge' | 'histogram';

export interface MetricDef {
  /** The name on /metrics (counters end in `_total`). */
  readonly name: string;
  readonly kind: MetricKind;
  readonly help: string;
  readonly labels: readonly string[];
  readonly buckets?: readonly number[];
  /** The agent's own metrics: set by the agent, never by a tracepoint. */
  readonly self?: true;
  /** The rpc pack sets it: the RPC answer it comes from, for the metric table in docs/metrics.md. */
  readonly rpc?: string;
}

const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
/** Amounts a wallet moves: 10,000 sat to 1,000 BTC. */
const SATOSHI_BUCKETS = [1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11] as const;

export const METRICS = {
  blocksReconstructed: {
    name: 'fibre_blocks_reconstructed_total',
    kind: 'counter',
    help: 'Blocks rebuilt from FIBRE/UDP chunks',
    labels: ['node'],
  },
  reconstructionDuration: {
    name: 'fibre_block_reconstruction_duration_seconds',
    kind: 'histogram',
    help: 'Seconds spent rebuilding a block from FIBRE/UDP chunks',
    labels: ['node'],
    buckets: DURATION_BUCKETS,
  },
  chunksUsedPerBlock: {
    name: 'fibre_block_chunks_used',
    kind: 'histogram',
    help: 'FIBRE chunks a block reconstruction consumed',
    labels: ['node'],
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000],
  },
  chunksReceived: {
    name: 'fibre_chunks_received_total',
    kind: 'counter',
    help: 'FIBRE chunks received for reconstructed blocks',
    labels: ['node'],
  },
  chunksUsed: {
    name: 'fibre_chunks_used_total',
    kind: 'counter',
    help: 'FIBRE chunks consumed by block reconstructions',
    labels: ['node'],
  },
  blocksSent: {
    name: 'fibre_blocks_sent_total',
    kind: 'counter',
    help: 'Blocks this node started sending over FIBRE/UDP',
    labels: ['node'],
  },
  deliveries: {
    name: 'fibre_block_deliveries_total',
    kind: 'counter',
    help: 'Blocks by the mechanism and peer that delivered them first',
    labels: ['node', 'mechanism', 'peer'],
  },
  lastHeight: {
    name: 'fibre_last_block_height',
    kind: 'gauge',
    help: 'Height of the block most recently seen by a probe',
    labels: ['node'],
  },
  blocksConnected: {
    name: 'bitcoin_blocks_connected_total',
    kind: 'counter',
    help: 'Blocks connected to the active chain, whatever delivered them',
    labels: ['node'],
  },
  connectionDuration: {
    name: 'bitcoin_block_connection_duration_seconds',
    kind: 'histogram',
    help: 'Seconds bitcoind spent connecting a block to the chain',
    labels: ['node'],
    buckets: DURATION_BUCKETS,
  },
  txPerBlock: {
    name: 'bitcoin_block_tx_count',
    kind: 'histogram',
    help: 'Transactions in each connected block',
    labels: ['node'],
    buckets: [1, 10, 50, 100, 250, 500, 1000, 2000, 3000, 5000, 10000],
  },
  up: {
    name: 'fibre_exporter_up',
    kind: 'gauge',
    help: 'fibre-agent is running (1) or shutting down (0)',
    labels: [],
    self: true,
  },
  startTime: {
    name: 'fibre_exporter_start_time_seconds',
    kind: 'gauge',
    help: 'Unix time at which fibre-agent started',
    labels: [],
    self: true,
  },
  eventsProcessed: {
    name: 'fibre_exporter_events_processed_total',
    kind: 'counter',
    help: 'Tracepoint events recorded, by event type',
    labels: ['event_type'],
    self: true,
  },
  errors: {
    name: 'fibre_exporter_errors_total',
    kind: 'counter',
    help: 'Errors fibre-agent survived, by kind',
    labels: ['error_type'],
    self: true,
  },
  eventsLost: {
    name: 'fibre_exporter_events_lost_total',
    kind: 'counter',
    help: 'Events the kernel dropped before bpftrace could read them (perf buffer full)',
    labels: [],
    self: true,
  },
  probesAttached: {
    name: 'fibre_exporter_probes_attached',
    kind: 'gauge',
    help: 'USDT probes currently attached to bitcoind',
    labels: [],
    self: true,
  },
  info: {
    name: 'fibre_exporter_info',
    kind: 'gauge',
    help: 'Constant 1, labelled with the agent version and what it watches',
    labels: ['version', 'node_name', 'bitcoind_path'],
    self: true,
  },
  lastReconstructedHeight: {
    name: 'fibre_last_reconstructed_height',
    kind: 'gauge',
    help: 'Height of the block most recently rebuilt from FIBRE/UDP chunks (udp:block_reconstructed argument 7)',
    labels: ['node'],
  },
  missingTx: {
    name: 'fibre_block_missing_tx_count',
    kind: 'histogram',
    help: 'Transactions of a FIBRE-reconstructed block that were not in the mempool',
    labels: ['node'],
    buckets: [0, 1, 2, 5, 10, 20, 50, 100, 250, 500, 1000, 2000, 5000, 10000],
  },
  missingTxBytes: {
    name: 'fibre_block_missing_tx_bytes',
    kind: 'histogram',
    help: 'Bytes of the transactions a FIBRE-reconstructed block missed from the mempool',
    labels: ['node'],
    buckets: [100, 500, 1000, 5000, 10000, 50000, 100000, 250000, 500000, 1000000, 2000000, 4000000],
  },
  mempoolTx: {
    name: 'fibre_block_mempool_tx_count',
    kind: 'histogram',
    help: 'Transactions of a FIBRE-reconstructed block found in the mempool',
    labels: ['node'],
    buckets: [0, 1, 10, 50, 100, 250, 500, 1000, 2000, 3000, 5000, 10000],
  },
  allTxFromMempool: {
    name: 'fibre_block_all_tx_from_mempool_total',
    kind: 'counter',
    help: 'FIBRE-reconstructed blocks whose every transaction was already in the mempool',
    labels: ['node'],
  },
  inputsPerBlock: {
    name: 'bitcoin_block_inputs',
    kind: 'histogram',
    help: 'Transaction inputs in each connected block, the coinbase input included',
    labels: ['node'],
    buckets: [1, 10, 100, 500, 1000, 2000, 5000, 10000, 20000, 50000],
  },
  sigopsPerBlock: {
    name: 'bitcoin_block_sigops',
    kind: 'histogram',
    help: 'Signature operation cost of each connected block, as bitcoind reports it to validation:block_connected',
    labels: ['node'],
    buckets: [0, 100, 1000, 5000, 10000, 20000, 40000, 80000],
  },
  raceMargin: {
    name: 'fibre_block_race_margin_seconds',
    kind: 'histogram',
    help: 'Seconds by which the first path to deliver a block beat the second, for blocks both FIBRE/UDP and compact blocks delivered',
    labels: ['node', 'winner'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  },
  raceUncontested: {
    name: 'fibre_block_race_uncontested_total',
    kind: 'counter',
    help: 'Blocks only one path (FIBRE/UDP or compact blocks) delivered, by that path',
    labels: ['node', 'mechanism'],
  },
  p2pMessagesReceived: {
    name: 'bitcoin_p2p_messages_received_total',
    kind: 'counter',
    help: 'P2P messages received, by message type and connection type',
    labels: ['node', 'msg_type', 'conn_type'],
  },
  p2pMessagesSent: {
    name: 'bitcoin_p2p_messages_sent_total',
    kind: 'counter',
    help: 'P2P messages sent, by message type and connection type',
    labels: ['node', 'msg_type', 'conn_type'],
  },
  p2pBytesReceived: {
    name: 'bitcoin_p2p_message_received_bytes_total',
    kind: 'counter',
    help: 'Payload bytes of the P2P messages received (headers not included)',
    labels: ['node', 'msg_type', 'conn_type'],
  },
  p2pBytesSent: {
    name: 'bitcoin_p2p_message_sent_bytes_total',
    kind: 'counter',
    help: 'Payload bytes of the P2P messages sent (headers not included)',
    labels: ['node', 'msg_type', 'conn_type'],
  },
  connectionsOpened: {
    name: 'bitcoin_p2p_connections_opened_total',
    kind: 'counter',
    help: 'P2P connections opened, by direction, connection type and network',
    labels: ['node', 'direction', 'conn_type', 'network'],
  },
  connectionsClosed: {
    name: 'bitcoin_p2p_connections_closed_total',
    kind: 'counter',
    help: 'P2P connections closed, for whatever reason (evictions included)',
    labels: ['node', 'conn_type', 'network'],
  },
  connectionsEvicted: {
    name: 'bitcoin_p2p_connections_evicted_total',
    kind: 'counter',
    help: 'Inbound P2P connections bitcoind evicted to make room for a new one',
    labels: ['node', 'network'],
  },
  misbehaving: {
    name: 'bitcoin_p2p_misbehaving_total',
    kind: 'counter',
    help: 'Times bitcoind found a peer misbehaving (it disconnects and discourages it)',
    labels: ['node'],
  },
  peers: {
    name: 'bitcoin_p2p_peers',
    kind: 'gauge',
    help: "P2P connections now, by direction: bitcoind's count at the last connection opened, less those closed since",
    labels: ['node', 'direction'],
    rpc: '`getpeerinfo`: peers by `inbound`, at every poll (so known from the first one)',
  },
  mempoolAdded: {
    name: 'bitcoin_mempool_added_total',
    kind: 'counter',
    help: 'Transactions added to the mempool',
    labels: ['node'],
  },
  mempoolAddedVsize: {
    name: 'bitcoin_mempool_added_vsize_bytes',
    kind: 'histogram',
    help: 'Virtual size in vbytes of each transaction added to the mempool',
    labels: ['node'],
    buckets: [150, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 400000],
  },
  mempoolAddedFeeRate: {
    name: 'bitcoin_mempool_added_fee_rate_sat_per_vbyte',
    kind: 'histogram',
    help: 'Fee rate in satoshis per vbyte of each transaction added to the mempool (its own fee over its own vsize)',
    labels: ['node'],
    buckets: [0.1, 0.5, 1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000],
  },
  mempoolAddedFees: {
    name: 'bitcoin_mempool_added_fees_satoshis_total',
    kind: 'counter',
    help: 'Fees in satoshis of the transactions added to the mempool',
    labels: ['node'],
  },
  mempoolRemoved: {
    name: 'bitcoin_mempool_removed_total',
    kind: 'counter',
    help: 'Transactions removed from the mempool, by reason',
    labels: ['node', 'reason'],
  },
  mempoolReplaced: {
    name: 'bitcoin_mempool_replaced_total',
    kind: 'counter',
    help: 'Mempool transactions replaced by another transaction or package (fee bumps, RBF)',
    labels: ['node'],
  },
  mempoolRejected: {
    name: 'bitcoin_mempool_rejected_total',
    kind: 'counter',
    help: 'Transactions the mempool refused, by reason (known reasons, "other" for the rest)',
    labels: ['node', 'reason'],
  },
  utxoFlushes: {
    name: 'bitcoin_utxocache_flushes_total',
    kind: 'counter',
    help: 'UTXO cache flushes to disk, by flush mode',
    labels: ['node', 'mode'],
  },
  utxoFlushDuration: {
    name: 'bitcoin_utxocache_flush_duration_seconds',
    kind: 'histogram',
    help: 'Seconds each UTXO cache flush took',
    labels: ['node'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  },
  utxoFlushedCoins: {
    name: 'bitcoin_utxocache_flushed_coins_total',
    kind: 'counter',
    help: 'Coins in the UTXO cache when it was flushed, summed over flushes',
    labels: ['node'],
  },
  utxoMemory: {
    name: 'bitcoin_utxocache_memory_bytes',
    kind: 'gauge',
    help: 'Memory the UTXO cache used at its last flush',
    labels: ['node'],
  },
  utxoCoinsAdded: {
    name: 'bitcoin_utxocache_coins_added_total',
    kind: 'counter',
    help: 'Coins added to the UTXO cache (opt-in: fires for every output while a node syncs)',
    labels: ['node'],
  },
  utxoCoinsSpent: {
    name: 'bitcoin_utxocache_coins_spent_total',
    kind: 'counter',
    help: 'Coins spent from the UTXO cache (opt-in)',
    labels: ['node'],
  },
  utxoCoinsUncached: {
    name: 'bitcoin_utxocache_coins_uncached_total',
    kind: 'counter',
    help: 'Coins dropped from the UTXO cache without being spent (opt-in)',
    labels: ['node'],
  },
  coinSelections: {
    name: 'bitcoin_wallet_coin_selections_total',
    kind: 'counter',
    help: "Coin selections the node's wallets made, by algorithm (two per transaction while the avoid-partial-spends attempt runs)",
    labels: ['node', 'algorithm'],
  },
  coinSelectionWaste: {
    name: 'bitcoin_wallet_coin_selection_waste_satoshis',
    kind: 'histogram',
    help: 'Waste metric of each coin selection in satoshis: below 0 when spending the inputs now costs less than later',
    labels: ['node'],
    buckets: [-100000, -10000, -1000, -100, 0, 100, 1000, 10000, 100000, 1000000],
  },
  coinSelectionTarget: {
    name: 'bitcoin_wallet_coin_selection_target_satoshis',
    kind: 'histogram',
    help: 'Satoshis each coin selection had to cover: the payments and the fees not paid by inputs',
    labels: ['node'],
    buckets: SATOSHI_BUCKETS,
  },
  coinSelectionSelected: {
    name: 'bitcoin_wallet_coin_selection_selected_satoshis',
    kind: 'histogram',
    help: 'Satoshis of the coins each coin selection chose',
    labels: ['node'],
    buckets: SATOSHI_BUCKETS,
  },
  walletTxCreated: {
    name: 'bitcoin_wallet_transactions_created_total',
    kind: 'counter',
    help: 'Transactions the wallets tried to build (sendtoaddress, sendmany, fundrawtransaction, bumpfee...), by result and whether they have a change output',
    labels: ['node', 'result', 'change'],
  },
  walletTxFee: {
    name: 'bitcoin_wallet_transaction_fee_satoshis',
    kind: 'histogram',
    help: 'Fee in satoshis of each transaction a wallet built (its first attempt, before avoid-partial-spends)',
    labels: ['node'],
    buckets: [100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 1000000],
  },
  walletApsAttempts: {
    name: 'bitcoin_wallet_aps_attempts_total',
    kind: 'counter',
    help: 'Second attempts a wallet made to build a transaction that avoids partial spends',
    labels: ['node'],
  },
  walletApsUsed: {
    name: 'bitcoin_wallet_aps_used_total',
    kind: 'counter',
    help: 'Avoid-partial-spends attempts whose transaction the wallet kept instead of the first',
    labels: ['node'],
  },
  buildInfo: {
    name: 'bitcoin_build_info',
    kind: 'gauge',
    help: "Constant 1: the bitcoind release told from the binary's notes and .rodata, and the release whose tracepoint semantics the agent applies",
    labels: ['node', 'release', 'semantics'],
    self: true,
  },
  probesRefused: {
    name: 'fibre_exporter_probes_refused',
    kind: 'gauge',
    help: "Probes not attached because the binary's note disagrees with what the catalogue reads on its release",
    labels: [],
    self: true,
  },
  slowBlocks: {
    name: 'fibre_slow_blocks_total',
    kind: 'counter',
    help: 'Blocks the per-block journal marked slow (--slow-reconstruction-ms, --slow-connect-ms) or very slow (--very-slow-reconstruction-ms), by severity',
    labels: ['node', 'severity'],
    self: true,
  },
  mapFull: {
    name: 'fibre_exporter_map_full_total',
    kind: 'counter',
    help: 'Counts a full BPF map could not keep under their own peer or reason: counted under the label value other instead, by map',
    labels: ['map'],
    self: true,
  },
  journalBlocksSkipped: {
    name: 'fibre_journal_blocks_skipped_total',
    kind: 'counter',
    help: 'Blocks the per-block journal has no record of: beyond its budget of 20 blocks a second, the kernel printed none of their lines (every other metric still counts them)',
    labels: ['node'],
    self: true,
  },
  processCpu: {
    name: 'fibre_exporter_process_cpu_seconds_total',
    kind: 'counter',
    help: "CPU seconds (user and system) the agent's own processes used: its root supervisor, its metrics process and bpftrace (every run of it)",
    labels: ['process'],
    self: true,
  },
  processResident: {
    name: 'fibre_exporter_process_resident_memory_bytes',
    kind: 'gauge',
    help: "Resident memory of the agent's own processes (0 while the process is not running)",
    labels: ['process'],
    self: true,
  },
  probeRuns: {
    name: 'fibre_exporter_probe_runs_total',
    kind: 'counter',
    help: 'Times each probe ran inside bitcoind, as the kernel counts the runs of its BPF program (--probe-stats)',
    labels: ['probe'],
    self: true,
  },
  probeRunTime: {
    name: 'fibre_exporter_probe_run_seconds_total',
    kind: 'counter',
    help: "Seconds bitcoind's threads spent running each probe's BPF programs (all of them, where a probe has two), as the kernel measures them (--probe-stats)",
    labels: ['probe'],
    self: true,
  },
  // The rpc pack: the node's state as bitcoind's RPC reports it, polled every --rpc-interval. The
  // state gauges are absent while RPC does not answer; bitcoin_rpc_up says so.
  rpcUp: {
    name: 'bitcoin_rpc_up',
    kind: 'gauge',
    help: "1 when the last poll of bitcoind's RPC succeeded, 0 when it failed (unreachable, refused, wrong credentials, warming up)",
    labels: ['node'],
    self: true,
    rpc: 'the last poll: 1 answered, 0 failed',
  },
  rpcDuration: {
    name: 'bitcoin_rpc_duration_seconds',
    kind: 'gauge',
    help: "Seconds the last poll of bitcoind's RPC took, from request to the whole answer",
    labels: ['node'],
    self: true,
    rpc: 'the last poll (one batch request)',
  },
  rpcErrors: {
    name: 'bitcoin_rpc_errors_total',
    kind: 'counter',
    help: "Failed polls of bitcoind's RPC, by method (batch: the request as a whole) and code (bitcoind's error code, or http_401, refused, unreachable, timeout, bad_answer)",
    labels: ['node', 'method', 'code'],
    self: true,
    rpc: 'each failed poll: the method and code that failed',
  },
  chainBlocks: {
    name: 'bitcoin_chain_blocks',
    kind: 'gauge',
    help: 'Height of the active chain (blocks fully validated)',
    labels: ['node'],
    self: true,
    rpc: '`getblockchaininfo`: `blocks`',
  },
  chainHeaders: {
    name: 'bitcoin_chain_headers',
    kind: 'gauge',
    help: 'Height of the best header chain the node knows',
    labels: ['node'],
    self: true,
    rpc: '`getblockchaininfo`: `headers`',
  },
  verificationProgress: {
    name: 'bitcoin_chain_verification_progress_ratio',
    kind: 'gauge',
    help: "bitcoind's estimate of the share of the chain's transactions verified, 0 to 1",
    labels: ['node'],
    self: true,
    rpc: '`getblockchaininfo`: `verificationprogress`',
  },
  initialBlockDownload: {
    name: 'bitcoin_chain_initial_block_download',
    kind: 'gauge',
    help: '1 while the node is in initial block download, else 0',
    labels: ['node'],
    self: true,
    rpc: '`getblockchaininfo`: `initialblockdownload`',
  },
  sizeOnDisk: {
    name: 'bitcoin_chain_size_on_disk_bytes',
    kind: 'gauge',
    help: 'Bytes the block and undo files take on disk',
    labels: ['node'],
    self: true,
    rpc: '`getblockchaininfo`: `size_on_disk`',
  },
  pruned: {
    name: 'bitcoin_chain_pruned',
    kind: 'gauge',
    help: '1 when the node prunes old blocks, else 0',
    labels: ['node'],
    self: true,
    rpc: '`getblockchaininfo`: `pruned`',
  },
  mempoolTransactions: {
    name: 'bitcoin_mempool_transactions',
    kind: 'gauge',
    help: 'Transactions in the mempool now',
    labels: ['node'],
    self: true,
    rpc: '`getmempoolinfo`: `size`',
  },
  mempoolVsize: {
    name: 'bitcoin_mempool_vsize_bytes',
    kind: 'gauge',
    help: 'Total virtual size in vbytes of the transactions in the mempool now',
    labels: ['node'],
    self: true,
    rpc: '`getmempoolinfo`: `bytes`',
  },
  mempoolUsage: {
    name: 'bitcoin_mempool_memory_usage_bytes',
    kind: 'gauge',
    help: 'Memory the mempool uses now, in bytes',
    labels: ['node'],
    self: true,
    rpc: '`getmempoolinfo`: `usage`',
  },
  mempoolMax: {
    name: 'bitcoin_mempool_memory_max_bytes',
    kind: 'gauge',
    help: 'Most memory the mempool may use (-maxmempool), in bytes',
    labels: ['node'],
    self: true,
    rpc: '`getmempoolinfo`: `maxmempool`',
  },
  mempoolMinFee: {
    name: 'bitcoin_mempool_min_fee_rate_sat_per_vbyte',
    kind: 'gauge',
    help: 'Lowest fee rate in sat/vB a transaction needs to enter the mempool now',
    labels: ['node'],
    self: true,
    rpc: '`getmempoolinfo`: `mempoolminfee` (BTC/kvB) × 100,000',
  },
  mempoolTotalFee: {
    name: 'bitcoin_mempool_fees_satoshis',
    kind: 'gauge',
    help: 'Total fees in satoshis of the transactions in the mempool now',
    labels: ['node'],
    self: true,
    rpc: '`getmempoolinfo`: `total_fee` (BTC) × 100,000,000',
  },
  peersByNetwork: {
    name: 'bitcoin_p2p_peers_by_network',
    kind: 'gauge',
    help: 'P2P connections now, by direction and network (labelled as the connection counters are)',
    labels: ['node', 'direction', 'network'],
    self: true,
    rpc: '`getpeerinfo`: peers by `inbound` and `network`',
  },
  uptime: {
    name: 'bitcoin_uptime_seconds',
    kind: 'gauge',
    help: 'Seconds since bitcoind started',
    labels: ['node'],
    self: true,
    rpc: '`uptime`',
  },
  netReceived: {
    name: 'bitcoin_net_received_bytes_total',
    kind: 'counter',
    help: 'Bytes bitcoind received from peers since it started (starts again from 0 when bitcoind restarts)',
    labels: ['node'],
    self: true,
    rpc: '`getnettotals`: `totalbytesrecv`',
  },
  netSent: {
    name: 'bitcoin_net_sent_bytes_total',
    kind: 'counter',
    help: 'Bytes bitcoind sent to peers since it started (starts again from 0 when bitcoind restarts)',
    labels: ['node'],
    self: true,
    rpc: '`getnettotals`: `totalbytessent`',
  },
  bannedPeers: {
    name: 'bitcoin_banned_peers',
    kind: 'gauge',
    help: 'Addresses and subnets on the ban list now',
    labels: ['node'],
    self: true,
    rpc: '`listbanned`: its length',
  },
  nodeWarning: {
    name: 'bitcoin_node_warning',
    kind: 'gauge',
    help: '1 when bitcoind reports a warning (getnetworkinfo or getblockchaininfo warnings), else 0',
    labels: ['node'],
    self: true,
    rpc: '`getnetworkinfo` and `getblockchaininfo`: `warnings` not empty (a string, or a list from v28)',
  },
  chainTips: {
    name: 'bitcoin_chain_tips',
    kind: 'gauge',
    help: 'Chain tips the node knows, by status (active, valid-fork, valid-headers, headers-only, invalid)',
    labels: ['node', 'status'],
    self: true,
    rpc: '`getchaintips`: tips by `status`',
  },
  inactiveBranchLength: {
    name: 'bitcoin_chain_inactive_branch_max_length',
    kind: 'gauge',
    help: 'Blocks in the longest branch off the active chain the node knows (0 when there is none)',
    labels: ['node'],
    self: true,
    rpc: '`getchaintips`: the largest `branchlen` of a tip that is not active',
  },
  nodeInfo: {
    name: 'bitcoin_node_info',
    kind: 'gauge',
    help: "Constant 1, labelled with what bitcoind's RPC says it is",
    labels: ['node', 'version', 'subversion', 'chain', 'protocol_version'],
    self: true,
    rpc: '`getnetworkinfo`: `version`, `subversion`, `protocolversion`; `getblockchaininfo`: `chain`',
  },
} as const satisfies Record<string, MetricDef>;

export type MetricKey = keyof typeof METRICS;
type Def<K extends MetricKey> = (typeof METRICS)[K];

/** The metrics of one kind: a recording of the wrong kind names a key outside this set and fails to compile. */
export type KeyOfKind<Kind extends MetricKind> = {
  [K in MetricKey]: Def<K>['kind'] extends Kind ? K : never;
}[MetricKey];
/** The metrics a tracepoint may feed. */
export type TraceKey = { [K in MetricKey]: Def<K> extends { self: true } ? never : K }[MetricKey];
/** The labels a recording must give: all the metric declares, but `node`, which the recorder adds. */
export type OwnLabel<K extends MetricKey> = Exclude<Def<K>['labels'][number], 'node'>;
export type LabelValues<K extends MetricKey> = [OwnLabel<K>] extends [never]
  ? Readonly<Record<string, never>>
  : { readonly [L in OwnLabel<K>]: string };

/** Values of `error_type` on fibre_exporter_errors_total; each starts at 0 so rate() and alerts work at once. */
export const ERROR_TYPES = [
  'decode',
  'line_too_long',
  'bpftrace_exit',
  'bpftrace_stderr',
  'value_out_of_range',
  'peer_label_overflow',
  'otlp_export',
  'webhook',
  'journal',
] as const;
export type ErrorType = (typeof ERROR_TYPES)[number];

/** Values of `process` on the agent's process metrics: the root supervisor, the metrics process, bpftrace. */
export const AGENT_PROCESSES = ['supervisor', 'metrics', 'bpftrace'] as const;
export type AgentProcess = (typeof AGENT_PROCESSES)[number];

/** Values of `severity` on fibre_slow_blocks_total; each starts at 0. */
export const SEVERITIES = ['slow', 'very_slow'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The name OpenTelemetry metrics get: counters without `_total`, which exporters add back. */
export function otelName(def: MetricDef): string {
  return def.kind === 'counter' ? def.name.replace(/_total$/, '') : def.name;
}
