import { SETTINGS } from './settings.js';

/**
 * The settings table of docs/configuration.md, one row per setting, or of the settings whose YAML keys
 * `only` names (the README's most used ones); test/unit/readme.test.ts keeps both in step.
 */
export function settingsTable(only?: readonly string[]): string {
  const unknown = only?.filter((key) => !SETTINGS.some((s) => s.yaml === key)) ?? [];
  if (unknown.length) throw new Error(`not settings: ${unknown.join(', ')}`);
  const rows = SETTINGS.filter((s) => only === undefined || only.includes(s.yaml)).map((s) => {
    const flags = s.flag
      .replace(/ <[^>]+>/, '')
      .split(', ')
      .map((f) => `\`${f}\``)
      .join(', ');
    const def = s.default === undefined ? '' : `\`${s.default}\``;
    return `| ${flags} | \`${s.env}\` | \`${s.yaml}\` | ${def} | ${s.description} |`;
  });
  return ['| flag | environment | YAML key | default | meaning |', '|---|---|---|---|---|', ...rows].join('\n');
}
