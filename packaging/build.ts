/**
 * `npm run package`: dist/package/fibre-agent (one executable, Node's runtime inside) and
 * dist/package/fibre-agent_VERSION_amd64.deb, from the compiled tree (npm run build runs first).
 */
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDeb } from './deb.js';
import { bundle, singleExecutable } from './sea.js';

/** dist/packaging/build.js -> the repository. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const OUT_DIR = join(ROOT, 'dist/package');

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

export function debPath(): string {
  return join(OUT_DIR, `fibre-agent_${packageVersion()}_amd64.deb`);
}

async function main(): Promise<void> {
  // The executable is the Node binary running this: it must be the target's.
  if (platform() !== 'linux' || arch() !== 'x64')
    throw new Error(`builds on Linux x86_64 only, not ${platform()} ${arch()}`);
  mkdirSync(OUT_DIR, { recursive: true });
  const script = join(OUT_DIR, 'fibre-agent.cjs');
  const executable = join(OUT_DIR, 'fibre-agent');
  const bundled = await bundle(ROOT, script);
  await singleExecutable(script, executable, OUT_DIR);
  buildDeb({ root: ROOT, executable, version: packageVersion(), bundled, workDir: OUT_DIR, out: debPath() });
  for (const f of [executable, debPath()]) {
    process.stdout.write(`${f}: ${(statSync(f).size / 2 ** 20).toFixed(1)} MiB\n`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err: Error) => {
    process.stderr.write(`npm run package: ${err.message}\n`);
    process.exit(1);
  });
}
