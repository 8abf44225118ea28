/** Resolves the configuration: flag > environment > YAML file > default, each value checked. */
import { ConfigError } from '../shared/errors.js';
import { type AgentConfig, optionName, type RawValue, SETTING_KEYS, SETTINGS, type SettingOf } from './settings.js';

export interface ConfigSources {
  /** Options as commander parsed them (keys from optionName). */
  flags: Record<string, unknown>;
  env: NodeJS.ProcessEnv;
  /** Parsed YAML file, flattened to dotted keys. */
  file: Record<string, RawValue>;
  fileName?: string;
}

/** Keys of the file that no setting reads: warned about, since a typo would otherwise be silent. */
export function unknownKeys(file: Record<string, RawValue>): string[] {
  const known = new Set(SETTINGS.map((s) => s.yaml));
  return Object.keys(file).filter((k) => !known.has(k));
}

/** Every setting: the agent's whole configuration, each value checked. */
export function resolveConfig(sources: ConfigSources): AgentConfig {
  return resolveSettings(sources, SETTING_KEYS);
}

/**
 * Only the settings named, with the same precedence and checks: a command that needs one setting
 * (`fibre-agent blocks`, the journal's path) must not fail on a bad value of another it never reads.
 */
export function resolveSettings<K extends keyof AgentConfig>(
  sources: ConfigSources,
  keys: readonly K[],
): Pick<AgentConfig, K> {
  const config: Partial<AgentConfig> = {};
  for (const s of SETTINGS) if (keys.some((k) => k === s.key)) fill(config, s, sources);
  if (!hasEvery(config, keys)) throw new Error('a setting with a default was left unset');
  return config;
}

/** The field of one setting, from the first source that gives it, checked by the setting's parser. */
function fill<K extends keyof AgentConfig>(
  config: Partial<AgentConfig>,
  s: SettingOf<K>,
  sources: ConfigSources,
): void {
  const flag = sources.flags[optionName(s)];
  const primary = sources.env[s.env];
  const fallback = s.envFallbacks?.find((f) => sources.env[f.name] !== undefined);
  const fromEnv: [RawValue | undefined, string] =
    primary !== undefined
      ? [s.envMap ? s.envMap(primary) : primary, s.env]
      : fallback
        ? [
            fallback.map ? fallback.map(sources.env[fallback.name] as string) : sources.env[fallback.name],
            fallback.name,
          ]
        : [undefined, s.env];
  const candidates: [RawValue | undefined, string][] = [
    [flag as RawValue | undefined, `--${/--([a-z0-9-]+)/.exec(s.flag)?.[1]}`],
    fromEnv,
    [sources.file[s.yaml], `${s.yaml} in ${sources.fileName ?? 'the config file'}`],
    [s.default, 'default'],
  ];
  const chosen = candidates.find(([v]) => v !== undefined);
  if (!chosen) return;
  const [raw, origin] = chosen;
  try {
    config[s.key] = s.parse(raw as RawValue);
  } catch (err) {
    const shown = s.secret ? 'the value' : JSON.stringify(raw);
    throw new ConfigError(`${origin}: ${shown} ${(err as Error).message}`);
  }
}

/**
 * Whether each named field the type requires got a value. A required field's setting has a default
 * (DefaultFor makes it so), so fill() always sets one: this only lets the type see what the table
 * guarantees, checked rather than asserted.
 */
function hasEvery<K extends keyof AgentConfig>(
  config: Partial<AgentConfig>,
  keys: readonly K[],
): config is Partial<AgentConfig> & Pick<AgentConfig, K> {
  return keys.every((k) => config[k] !== undefined || SETTINGS.some((s) => s.key === k && s.default === undefined));
}
