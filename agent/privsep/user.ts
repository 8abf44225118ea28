/** The unprivileged account the metrics side runs as, looked up in /etc/passwd. */
import { readFileSync } from 'node:fs';
import type { Account } from '../shared/account.js';

export function lookupAccount(name: string, passwd = '/etc/passwd'): Account | undefined {
  let text: string;
  try {
    text = readFileSync(passwd, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name && uid !== undefined && gid !== undefined && /^[0-9]+$/.test(uid) && /^[0-9]+$/.test(gid)) {
      return { name, uid: Number(uid), gid: Number(gid) };
    }
  }
  return undefined;
}
