/** The messages between the root supervisor and the unprivileged metrics process (over Node IPC). */
import type { AgentConfig } from '../config/settings.js';
import type { PipelineUrls } from '../pipeline.js';
import type { AttachStatus, SourceError } from '../source/downstream.js';

export type ToWorker =
  | { t: 'init'; config: AgentConfig; bitcoindPath: string }
  | { t: 'status'; status: AttachStatus }
  | { t: 'error'; type: SourceError }
  | { t: 'reload' }
  | { t: 'stop' };

export type FromWorker =
  | { t: 'listening'; urls: PipelineUrls }
  | { t: 'fatal'; message: string; usage: boolean }
  | { t: 'ready' };
