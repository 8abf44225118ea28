/**
 * The YAML config file, read into flat dotted keys for load.ts. A module of its own so that the YAML
 * parser is loaded only when a file is named: most agents are started with flags and environment
 * alone, and the parser's loading cost the supervisor's start-up about 40 ms.
 */
import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, parseDocument, type YAMLMap } from 'yaml';
import { ConfigError } from '../shared/errors.js';
import { type RawValue, SETTINGS } from './settings.js';

function flatten(map: YAMLMap, prefix: string, out: Record<string, RawValue>, fileName: string): void {
  for (const pair of map.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    const name = prefix ? `${prefix}.${key}` : key;
    // A repeatable setting (otlp.headers) may be written as a mapping or a list of key=value; packs as a list.
    if (LIST_KEYS.has(name) && (isMap(pair.value) || isSeq(pair.value))) {
      const value = pair.value.toJSON() as Record<string, unknown> | unknown[];
      out[name] = Array.isArray(value) ? value.map(String) : Object.entries(value).map(([k, v]) => `${k}=${v}`);
    } else if (isMap(pair.value)) flatten(pair.value, name, out, fileName);
    else if (isScalar(pair.value) && pair.value.value !== null) {
      const v = pair.value.value;
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
        throw new ConfigError(`${fileName}: ${name} must be a string, number or boolean`);
      }
      out[name] = v;
    } else if (pair.value !== null && !isScalar(pair.value)) {
      throw new ConfigError(`${fileName}: ${name} must be a single value`);
    }
  }
}

const LIST_KEYS = new Set(SETTINGS.filter((s) => s.repeatable || s.list).map((s) => s.yaml));

/** Reads a YAML config file; unreadable or invalid YAML is a ConfigError naming the file and line. */
export function readConfigFile(path: string): Record<string, RawValue> {
  let source: string;
  try {
    source = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  const doc = parseDocument(source, { prettyErrors: true });
  const problem = doc.errors[0];
  if (problem) {
    const line = problem.linePos?.[0]?.line;
    throw new ConfigError(
      `invalid YAML in ${path}${line ? ` at line ${line}` : ''}: ${problem.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '')}`,
    );
  }
  const out: Record<string, RawValue> = {};
  if (doc.contents === null) return out;
  if (!isMap(doc.contents)) throw new ConfigError(`${path}: the config file must be a mapping of keys to values`);
  flatten(doc.contents, '', out, path);
  return out;
}
