/** The messages between the root supervisor and the unprivileged metrics process (over Node IPC). */

import type { AgentProcess } from '../../probes/metrics.js';
import type { Security, TlsMaterial } from '../config/security.js';
import type { AgentConfig } from '../config/settings.js';
import type { PipelineUrls } from '../pipeline.js';
import type { RpcEndpoint } from '../rpc/endpoint.js';
import type { AttachStatus, CostSample, SourceError } from '../source/downstream.js';

export type ToWorker =
  | { t: 'init'; config: AgentConfig; security: Security; bitcoindPath: string }
  | { t: 'status'; status: AttachStatus }
  | { t: 'error'; type: SourceError }
  | { t: 'cost'; sample: CostSample }
  | { t: 'reload'; tls: TlsMaterial }
  | { t: 'rpc'; endpoint: RpcEndpoint }
  | { t: 'stop' };

export type FromWorker =
  | { t: 'listening'; urls: PipelineUrls }
  | { t: 'fatal'; message: string; usage: boolean }
  | { t: 'ready'; attempt: number }
  /** A read of the maps was applied: sent only while the supervisor samples cost (cost-watch.ts). */
  | { t: 'read' }
  /** bitcoind refused the RPC credential: the supervisor reads its file again (RpcAccess.lookAgain). */
  | { t: 'rpcRefused' }
  /** /proc hides these processes from the metrics process: the supervisor samples their cost. */
  | { t: 'unseen'; processes: AgentProcess[] };
