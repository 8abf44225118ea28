/**
 * Entry point of the single executable (packaging/build.ts bundles it with esbuild). One file is both
 * the command line tool and, started again by the supervisor through setpriv, the metrics process.
 */
import '../agent/gc-tuning.js';
import { isSea } from 'node:sea';
import { METRICS_PROCESS_MODE, useBundle } from '../agent/runtime.js';

/** The files the agent reads at run time, inlined by esbuild's `define` when the bundle is built. */
declare const FIBRE_AGENT_FILES: Record<string, string>;

// In a single executable application argv[1] repeats the binary; when Node runs the bundled script
// (packaging tests do, before injection), argv[1] is that script and must be passed on.
useBundle({
  files: FIBRE_AGENT_FILES,
  self: isSea() ? [process.execPath] : [process.execPath, process.argv[1] as string],
});

// Loaded only now, so that no agent module looks for its files before the bundle is in place.
if (process.argv[2] !== METRICS_PROCESS_MODE) {
  void import('../agent/cli.js');
} else if (!process.send) {
  // Without the supervisor's IPC channel the metrics process would wait for input forever.
  process.stderr.write('fibre-agent: error: this mode is started by the agent itself\n');
  process.exit(2);
} else {
  void import('../agent/privsep/worker.js');
}
