import { shippedText } from './runtime.js';

/** From package.json, shipped beside the compiled agent or inlined into the executable. */
export const VERSION: string = (() => {
  try {
    const pkg = JSON.parse(shippedText('package.json')) as { name?: string; version?: string };
    if (pkg.name === 'fibre-agent' && pkg.version) return pkg.version;
  } catch {
    // no readable package.json: fall through
  }
  return '0.0.0';
})();
