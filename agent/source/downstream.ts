/**
 * What the privileged source hands to the unprivileged pipeline: bpftrace's stdout bytes, unread, and
 * its own view of the attachment. Implemented in-process (agent/pipeline.ts) or across the privilege
 * boundary (agent/privsep/worker-handle.ts), so the source never decodes anything that came from outside.
 */
export interface AttachStatus {
  attached: boolean;
  probes: number;
  reason: string;
}

export type SourceError = 'bpftrace_exit' | 'bpftrace_stderr';

export interface Downstream {
  /** Raw stdout bytes of the running bpftrace; false asks the source to pause until onDrain. */
  write(chunk: Buffer): boolean;
  onDrain?(resume: () => void): void;
  /** bpftrace ended: whatever partial line it left is finished here, so the next one starts clean. */
  endStream(): void;
  status(status: AttachStatus): void;
  error(type: SourceError): void;
}
