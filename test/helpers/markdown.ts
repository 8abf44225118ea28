/**
 * Reading Markdown as GitHub renders it, as far as the link test needs: which lines are code (never
 * links or headings), the anchors a file's headings get, and which relative links lead nowhere.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** The file's lines, with `true` for those inside a fenced code block (the fences included). */
function fenced(text: string): { line: string; code: boolean }[] {
  let fence: string | undefined;
  return text.split('\n').map((line) => {
    const open = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === undefined) {
      if (open === undefined) return { line, code: false };
      fence = open;
      return { line, code: true };
    }
    // A fence closes on a line of the same character, at least as long, and nothing after it.
    if (open !== undefined && open[0] === fence[0] && open.length >= fence.length && line.trim() === open) {
      fence = undefined;
    }
    return { line, code: true };
  });
}

/** What GitHub renders of a heading's text: code spans and links by their text, emphasis marks dropped. */
function plainText(heading: string): string {
  return heading
    .replace(/`([^`]*)`/g, '$1')
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[*]/g, '')
    .trim();
}

/**
 * GitHub's anchor of a heading: lower case, every character but letters, marks, numbers, `_`, `-` and
 * spaces removed, each space a hyphen; a repeated anchor gets `-1`, `-2`, ... in the order they appear.
 */
export function headingAnchors(text: string): string[] {
  const seen = new Map<string, number>();
  const anchors: string[] = [];
  for (const { line, code } of fenced(text)) {
    const heading = code ? undefined : /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const base = plainText(heading)
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}_\- ]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.push(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** The targets of the file's links and images, outside code blocks and code spans. */
export function linkTargets(text: string): string[] {
  const targets: string[] = [];
  for (const { line, code } of fenced(text)) {
    if (code) continue;
    const prose = line.replace(/(`+)(?:(?!\1).)+\1/g, 'code');
    for (const m of prose.matchAll(/\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g)) targets.push(m[1] as string);
    const definition = /^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?/.exec(prose)?.[1];
    if (definition !== undefined) targets.push(definition);
  }
  return targets;
}

/**
 * Every relative link in `files` (paths under `root`) that leads nowhere: to a file or folder that does
 * not exist, out of `root`, or to an anchor no heading of the target file has. Links with a scheme
 * (https:, mailto:, man:) are someone else's to keep.
 */
export function brokenLinks(root: string, files: readonly string[]): string[] {
  const broken: string[] = [];
  for (const file of files) {
    for (const target of linkTargets(readFileSync(join(root, file), 'utf8'))) {
      if (/^[a-z][a-z\d+.-]*:/i.test(target)) continue;
      const [path = '', anchor] = target.split('#', 2);
      const resolved = path === '' ? join(root, file) : resolve(join(root, dirname(file)), decodeURI(path));
      const where = relative(root, resolved);
      if (where.startsWith('..') || !existsSync(resolved)) {
        broken.push(`${file}: ${target} (no such file)`);
        continue;
      }
      if (anchor === undefined) continue;
      const anchors =
        statSync(resolved).isFile() && resolved.endsWith('.md') ? headingAnchors(readFileSync(resolved, 'utf8')) : [];
      if (!anchors.includes(anchor)) broken.push(`${file}: ${target} (no such heading in ${where})`);
    }
  }
  return broken;
}
