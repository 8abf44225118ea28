/**
 * What the privileged source hands to the unprivileged pipeline: bpftrace's stdout, unread, and its
 * own view of the attachment. Implemented in-process (agent/pipeline.ts) or across the privilege
 * boundary (agent/privsep/worker-handle.ts), where bpftrace writes straight into the metrics
 * process's stdin: no event passes through the supervisor's JavaScript, and the source never decodes
 * anything that came from outside.
 */
import type { Writable } from 'node:stream';
import type { AgentProcess } from '../../probes/metrics.js';
import type { BuildInfo } from '../../probes/releases.js';
import type { RpcEndpoint } from '../rpc/endpoint.js';

export interface AttachStatus {
  attached: boolean;
  probes: number;
  reason: string;
  /** With each attachment: the release told from the binary (it stands while detached). */
  build?: BuildInfo;
  /** With each attachment: probes refused because their notes disagree with the catalogue. */
  refused?: number;
  /** With each attachment: the PID of the bpftrace attached, whose cost the metrics process samples. */
  bpftracePid?: number;
}

/** What watching costs, since the previous sample (agent/source/process-cost.ts, agent/source/cost-watch.ts). */
export interface CostSample {
  /** CPU seconds each of the agent's processes used since the previous sample. */
  cpuSeconds: Partial<Record<AgentProcess, number>>;
  /** Resident memory of each now; 0 for one not running (bpftrace while detached). */
  residentBytes: Partial<Record<AgentProcess, number>>;
  /** With --probe-stats: each probe's runs and run seconds inside bitcoind since the previous sample. */
  probes?: Record<string, { runs: number; seconds: number }>;
}

export type SourceError = 'bpftrace_exit' | 'bpftrace_stderr';

export interface Downstream {
  /** Where bpftrace's stdout goes: 'pipe', read here and passed to write(), or a stream it writes to itself. */
  stdout(): 'pipe' | Writable;
  /** Raw stdout bytes of the running bpftrace, when stdout() is 'pipe'. */
  write?(chunk: Buffer): void;
  /** bpftrace ended: whatever partial line it left is finished here, so the next one starts clean. */
  endStream(): void;
  status(status: AttachStatus): void;
  error(type: SourceError): void;
  cost(sample: CostSample): void;
  /** The rpc pack: where bitcoind's RPC is and the credential root read, or why there is none. */
  rpc(endpoint: RpcEndpoint): void;
  /** Set by the agent: bpftrace's ready line for an attempt reached the pipeline. */
  onReady: (attempt: number) => void;
  /** Set by the agent: a read of the in-kernel maps reached the pipeline (the agent is busy). */
  onRead: () => void;
  /** Set by the agent: bitcoind refused the RPC credential the supervisor read; it reads it again. */
  onRpcRefused: () => void;
  /** Set by the agent: the metrics process cannot read these processes in /proc; the supervisor samples them. */
  onUnseen: (processes: readonly AgentProcess[]) => void;
}
