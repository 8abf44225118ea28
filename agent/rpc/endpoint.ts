/**
 * What the root supervisor tells the metrics process about bitcoind's RPC: where it is and the
 * credential to use (read by root, sent over IPC, never on a command line or in a log), or why there is
 * none to use.
 */
export type RpcEndpoint =
  | {
      readonly state: 'ready';
      readonly url: string;
      readonly username: string;
      readonly password: string;
      /** Where the credential came from, for the log: "cookie /path/.cookie". Never the credential. */
      readonly via: string;
    }
  /** bitcoind serves no RPC the agent may use (-server=0): said once, nothing polled. */
  | { readonly state: 'off'; readonly why: string }
  /** No credential yet (the cookie is written once bitcoind's RPC starts): nothing polled until one comes. */
  | { readonly state: 'waiting'; readonly why: string };
