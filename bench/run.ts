/** npm run bench: the hot path always; the two paths end to end when this machine can run bpftrace. */
import { spawnSync } from 'node:child_process';

const here = new URL('.', import.meta.url).pathname;
spawnSync(process.execPath, [`${here}decode-record.js`, ...process.argv.slice(2)], { stdio: 'inherit' });
const canTrace = process.geteuid?.() === 0 && !spawnSync('bpftrace', ['--version']).error;
if (canTrace) {
  console.log('');
  spawnSync(process.execPath, [`${here}paths.js`], { stdio: 'inherit' });
} else console.log('\nevents against kernel path: skipped (needs root and bpftrace)');
