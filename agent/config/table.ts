import { SETTINGS } from './settings.js';

/** The README's settings table, one row per setting; test/unit/readme.test.ts keeps the README in step. */
export function settingsTable(): string {
  const rows = SETTINGS.map((s) => {
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
