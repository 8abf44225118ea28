/**
 * A local user account: the one the metrics process runs as. Looked up by the supervisor
 * (agent/privsep/user.ts) and used by whatever must hand it files (the journal's directory).
 */
export interface Account {
  name: string;
  uid: number;
  gid: number;
}
