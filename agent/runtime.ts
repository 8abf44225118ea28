/**
 * Where the agent's own files are and how it starts its metrics process. Run by Node from the compiled
 * tree (a checkout's dist/, or the npm package), both live on disk beside this module. In the single
 * executable (packaging/), the files were inlined when it was built and the metrics process is the
 * same executable started again in a hidden mode: nothing is read from next to the binary.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** First argument that makes the executable the metrics process instead of the command line tool. */
export const METRICS_PROCESS_MODE = '__metrics-process';

export interface Bundle {
  /** File contents by path in the repository, e.g. 'probes/simulator/bitcoind-sim.c'. */
  files: Readonly<Record<string, string>>;
  /** The command that runs this executable again: the binary, and the script when Node runs a bundle. */
  self: readonly string[];
}

let bundle: Bundle | undefined;

/** Set by the executable's entry point before any other agent module loads. */
export function useBundle(b: Bundle): void {
  bundle = b;
}

/** The package root: this module is dist/agent/runtime.js, or agent/runtime.ts when run from source. */
function packageRoot(): string {
  const candidates = ['../../', '../'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  return candidates.find((dir) => existsSync(join(dir, 'package.json'))) ?? (candidates[0] as string);
}

/** The text of a file shipped with the agent, by its path in the repository. */
export function shippedText(path: string): string {
  if (!bundle) return readFileSync(join(packageRoot(), path), 'utf8');
  const text = bundle.files[path];
  if (text === undefined) throw new Error(`${path} is not part of this executable`);
  return text;
}

/** A file shipped with the agent as a path for another program; written into `dir` when inlined. */
export function shippedPath(path: string, dir: string): string {
  if (!bundle) return join(packageRoot(), path);
  const out = join(dir, basename(path));
  writeFileSync(out, shippedText(path), { mode: 0o600 });
  return out;
}

/** The command line (without setpriv) that starts the metrics process. */
export function metricsProcessCommand(): string[] {
  if (bundle) return [...bundle.self, METRICS_PROCESS_MODE];
  return [process.execPath, fileURLToPath(new URL('./privsep/worker.js', import.meta.url))];
}

/**
 * better-sqlite3's native addon. From files, the package finds its own; the executable cannot load a
 * file from inside itself, so the package ships the addon in /usr/lib/fibre-agent, beside /usr/bin.
 */
export function sqliteBinding(): object | undefined {
  if (!bundle) return undefined;
  const addon = { exports: {} };
  process.dlopen(addon, join(dirname(process.execPath), '..', 'lib', 'fibre-agent', SQLITE_ADDON));
  return addon.exports;
}

/** The addon's file name, in node_modules/better-sqlite3/build/Release and in the package. */
export const SQLITE_ADDON = 'better_sqlite3.node';
