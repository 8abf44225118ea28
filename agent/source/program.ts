/** Builds the one bpftrace program the agent runs from the scripts of the probes the binary has. */
import { execFile } from 'node:child_process';
import { PROBES, type ProbeEntry } from '../../probes/catalogue.js';
import { READY_LINE } from '../decode/decoder.js';
import { shippedText } from '../runtime.js';
import { bpftraceCommand, bpftraceEnv, isNotFound } from './bpftrace.js';
import type { CapName } from './capabilities.js';

export function buildProgram(entries: readonly ProbeEntry[]): string {
  // BEGIN runs once every probe is attached, so its line marks the moment events can arrive.
  const parts = [`BEGIN { printf("${READY_LINE}\\n"); }`];
  for (const e of entries) parts.push(shippedText(`probes/${e.event}.bt`));
  return parts.join('\n');
}

export class ProbeListError extends Error {}

/** The USDT probes (provider:name) in a binary's stapsdt notes, as bpftrace itself sees them. */
export function listProbes(bpftrace: string, binary: string, boundTo?: readonly CapName[]): Promise<Set<string>> {
  // Listing parses the binary's ELF notes: it gets the same narrowed privileges as tracing.
  const [command, argv] = bpftraceCommand(bpftrace, ['-l', `usdt:${binary}:*`], boundTo);
  return new Promise((resolve, reject) => {
    execFile(command, argv, { timeout: 30_000, maxBuffer: 16 << 20, env: bpftraceEnv() }, (err, stdout, stderr) => {
      if (isNotFound(err, stderr)) {
        reject(
          new ProbeListError(
            `bpftrace not found at "${bpftrace}": install it (Debian/Ubuntu: apt-get install bpftrace)`,
          ),
        );
        return;
      }
      const found = new Set<string>();
      for (const line of stdout.split('\n')) {
        const m = /:([^:]+):([^:]+)$/.exec(line.trim());
        if (line.startsWith('usdt:') && m) found.add(`${m[1]}:${m[2]}`);
      }
      if (err && found.size === 0) {
        reject(
          new ProbeListError(`bpftrace could not list the probes of ${binary}: ${stderr.trim().split('\n').pop()}`),
        );
        return;
      }
      resolve(found);
    });
  });
}

export function presentProbes(found: Set<string>): ProbeEntry[] {
  return PROBES.filter((e) => found.has(e.probe));
}
