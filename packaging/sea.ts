/**
 * The single executable: the agent bundled by esbuild into one CommonJS script (what Node 20's single
 * executable applications run), turned into a preparation blob by Node, and injected with postject
 * into a stripped copy of the Node binary that runs the build.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { build } from 'esbuild';

/** The fuse Node's binary carries so that it looks for an injected application at start-up. */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/** The files the agent reads at run time (runtime.ts), by path in the repository. */
function shippedFiles(root: string): Record<string, string> {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; version: string };
  // The bpftrace program is generated from the catalogue, which is code: only these are files.
  return {
    'package.json': JSON.stringify({ name: pkg.name, version: pkg.version }),
    'probes/simulator/bitcoind-sim.c': readFileSync(join(root, 'probes/simulator/bitcoind-sim.c'), 'utf8'),
  };
}

/** Bundles dist/packaging/entry.js and what it imports; returns the npm packages it took in. */
export async function bundle(root: string, outfile: string): Promise<string[]> {
  const result = await build({
    entryPoints: [join(root, 'dist/packaging/entry.js')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // Node 20's single executable cannot import() at run time; as require() the OTLP exporter's lazy
    // loads of http and https work.
    supported: { 'dynamic-import': false },
    define: { FIBRE_AGENT_FILES: JSON.stringify(shippedFiles(root)) },
    metafile: true,
    logLevel: 'warning',
    // runtime.ts only reads import.meta.url when no bundle is in use, which never happens here.
    logOverride: { 'empty-import-meta': 'silent' },
  });
  const packages = new Set<string>();
  for (const input of Object.keys(result.metafile.inputs)) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m?.[1]) packages.add(m[1]);
  }
  return [...packages].sort();
}

interface Postject {
  inject(file: string, name: string, data: Buffer, options: { sentinelFuse: string }): Promise<void>;
}

/** Builds the executable at `out` from the bundled script. */
export async function singleExecutable(script: string, out: string, workDir: string): Promise<void> {
  const blob = join(workDir, 'sea-prep.blob');
  const config = join(workDir, 'sea-config.json');
  // The code cache saves compiling the bundle at every start; the warning would go to every log.
  writeFileSync(
    config,
    JSON.stringify({ main: script, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true }),
  );
  execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: 'inherit' });
  if (!readFileSync(process.execPath).includes(SEA_FUSE)) {
    throw new Error(`${process.execPath} was built without single executable application support`);
  }
  copyFileSync(process.execPath, out);
  chmodSync(out, 0o755);
  // Node's binary may carry its debug information (about a tenth of it); a package must not.
  const strip = spawnSync('strip', ['--strip-all', '--remove-section=.comment', out], { stdio: 'inherit' });
  if (strip.error) throw new Error(`strip failed (apt-get install binutils): ${strip.error.message}`);
  if (strip.status !== 0) throw new Error(`strip exited with ${strip.status}`);
  const postject = createRequire(import.meta.url)('postject') as Postject;
  await postject.inject(out, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: SEA_FUSE });
}
