/**
 * npm run bench: the hot path always; a poll of the rpc pack when a real bitcoind is named
 * (BITCOIND_EXE); when this machine can run bpftrace, the two paths end to end and then what each
 * pack costs inside bitcoind.
 */
import { spawnSync } from 'node:child_process';

const here = new URL('.', import.meta.url).pathname;
spawnSync(process.execPath, [`${here}decode-record.js`, ...process.argv.slice(2)], { stdio: 'inherit' });
console.log('');
spawnSync(process.execPath, [`${here}rpc-cost.js`], { stdio: 'inherit' });
const canTrace = process.geteuid?.() === 0 && !spawnSync('bpftrace', ['--version']).error;
if (canTrace) {
  console.log('');
  spawnSync(process.execPath, [`${here}paths.js`], { stdio: 'inherit' });
  console.log('');
  spawnSync(process.execPath, [`${here}journal-cost.js`], { stdio: 'inherit' });
  console.log('');
  spawnSync(process.execPath, [`${here}startup.js`], { stdio: 'inherit' });
  console.log('');
  spawnSync(process.execPath, [`${here}pack-cost.js`], { stdio: 'inherit' });
} else console.log('\nevents against kernel path and cost per pack: skipped (need root and bpftrace)');
