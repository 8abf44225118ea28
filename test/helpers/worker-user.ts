/**
 * Started as root, the agent reads certificates and password files as its unprivileged user
 * (fibre-agent, or nobody where that account does not exist), exactly as on a node: tests hand their
 * files to that user as an operator would.
 */
import { chownSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { lookupAccount } from '../../agent/privsep/user.js';

export function workerAccount() {
  const account = lookupAccount('fibre-agent') ?? lookupAccount('nobody');
  if (!account) throw new Error('neither fibre-agent nor nobody exists');
  return account;
}

/** chown -R to the agent's user. */
export function giveToAgentUser(path: string): void {
  const { uid, gid } = workerAccount();
  chownSync(path, uid, gid);
  if (statSync(path).isDirectory()) for (const e of readdirSync(path)) giveToAgentUser(join(path, e));
}
