/**
 * Type-level tests of the settings table: each entry below is wrong, and each must fail to compile
 * (`npm run build` type-checks this file, so a @ts-expect-error left unused fails it).
 * test/unit/types.test.ts checks that each marked line fails once, with the code and words given after
 * the marker.
 */
import { resolveSettings } from '../../agent/config/load.js';
import type { AgentConfig, RawValue, Setting } from '../../agent/config/settings.js';

const yes = (raw: RawValue): boolean => raw === 'true';
const count = (raw: RawValue): number => Number(raw);
const text = { flag: '--x <x>', env: 'FIBRE_X', yaml: 'x', description: 'x' } as const;

export const wrongSettings: readonly Setting[] = [
  // @ts-expect-error TS2322 `Type 'boolean' is not assignable to type 'number'` a port is a number, not a boolean
  { ...text, key: 'metricsPort', default: 9435, parse: yes },
  // @ts-expect-error TS2322 `Property 'default' is missing` a field the config requires needs a default
  { ...text, key: 'peerLabelLimit', parse: count },
  // @ts-expect-error TS2322 `Type 'undefined' is not assignable` a parser gives a value, even for an optional field
  { ...text, key: 'pid', parse: () => undefined },
  // @ts-expect-error TS2820 `Type '"metricsPorts"' is not assignable` a setting fills a field the config has
  { ...text, key: 'metricsPorts', default: 9435, parse: count },
];

export function partialConfig(): AgentConfig {
  // @ts-expect-error TS2740 `is missing the following properties from type 'AgentConfig'` resolving some settings gives only their fields
  return resolveSettings({ flags: {}, env: {}, file: {} }, ['metricsPort', 'healthPort']);
}
