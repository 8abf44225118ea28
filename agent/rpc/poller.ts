/**
 * The rpc pack's loop in the metrics process: one batch request every --rpc-interval (never per
 * scrape, never two at once), its answers into the store, and one log line per change of state
 * (answering, warming up, each kind of failure, off), not one per poll. It also checks the release
 * bitcoind reports against the one the supervisor told from the binary.
 */
import { releaseContains, releaseOfVersion } from '../../probes/releases.js';
import type { Logger } from '../log.js';
import { redactUrl } from '../redact-url.js';
import { batch, RPC_IN_WARMUP, type RpcCredential, RpcFailure } from './client.js';
import type { RpcEndpoint } from './endpoint.js';
import { AnswerError, type NodeState, POLL, readNodeState } from './node-state.js';

/**
 * Where the poll's outcomes go (agent/record/node-state-recorder.ts puts them in the metric store).
 * Declared here, by the side that calls it, so rpc/ stays below record/ in the layers.
 */
export interface PollOutcomes {
  /** A poll answered, in `seconds`. */
  answered(state: NodeState, seconds: number): void;
  /** RPC does not answer, or is not asked (no credential since bitcoind stopped). */
  down(seconds?: number): void;
  /** A poll failed: `method` is 'batch' when the request as a whole failed. */
  failed(method: string, code: string, seconds: number): void;
  /** RPC is off or has no credential. */
  off(): void;
}

/** Longest a poll may take; a slow node gives up a poll, not the loop. */
const TIMEOUT_MS = 10_000;

export class RpcPoller {
  private credential?: RpcCredential & { via: string };
  private timer?: NodeJS.Timeout;
  private polling = false;
  private stopped = false;
  /** The state the log last described: a line is written only when it changes. */
  private said = '';
  private everAnswered = false;
  /** The URL the log last said it polls. */
  private announced = '';
  /** The release told from the binary, and the pair (told, reported) last warned about. */
  private told?: string;
  private reported?: string;
  private warnedPair = '';
  /**
   * bitcoind refused the credential (HTTP 401): the supervisor then reads the credential's file again
   * at once (RpcAccess.lookAgain), in case bitcoind wrote a new cookie that its watch missed.
   */
  onRefused: () => void = () => {};

  constructor(
    private readonly intervalMs: number,
    private readonly recorder: PollOutcomes,
    private readonly log: Logger,
  ) {}

  /** What the supervisor read: a new credential (bitcoind restarted) is polled at once. */
  setEndpoint(endpoint: RpcEndpoint): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    if (endpoint.state !== 'ready') {
      const had = this.credential !== undefined || this.everAnswered;
      this.credential = undefined;
      // A credential gone (bitcoind stopped and removed its cookie) is RPC down; none ever had
      // (a node that writes no cookie the agent can read, -server=0) is the pack off.
      if (endpoint.state === 'waiting' && had) this.recorder.down();
      else this.recorder.off();
      this.say(`${endpoint.state}:${endpoint.why}`, 'info', `RPC pack: ${endpoint.why}`);
      return;
    }
    const fresh = !this.credential || this.credential.url !== endpoint.url;
    this.credential = endpoint;
    if (fresh && this.announced !== endpoint.url) {
      this.announced = endpoint.url;
      this.log.info(
        `RPC pack: polling ${redactUrl(endpoint.url)} every ${this.intervalMs / 1000}s (credential: ${endpoint.via})`,
      );
    }
    this.schedule(0);
  }

  /** The release told from the binary at each attach. */
  setBuild(release: string): void {
    this.told = release;
    this.compareRelease();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    if (this.stopped || !this.credential) return;
    this.timer = setTimeout(() => void this.poll(), ms);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    const credential = this.credential;
    if (this.polling || !credential) return;
    this.polling = true;
    const t0 = performance.now();
    const elapsed = () => (performance.now() - t0) / 1000;
    try {
      const answers = await batch(credential, POLL, Math.min(TIMEOUT_MS, Math.max(1000, this.intervalMs * 2)));
      // A credential replaced while this poll was out: its answer speaks for the old one.
      if (this.credential !== credential) return;
      const state = readNodeState(answers);
      this.recorder.answered(state, elapsed());
      this.reported = releaseOfVersion(state.info.version);
      this.compareRelease();
      this.say(
        'answering',
        'info',
        this.everAnswered
          ? 'RPC pack: bitcoind answers again'
          : `RPC pack: bitcoind answers (${state.info.subversion})`,
      );
      this.everAnswered = true;
    } catch (err) {
      if (this.credential !== credential) return;
      this.failed(err as Error, elapsed(), credential);
    } finally {
      this.polling = false;
      if (this.credential === credential) this.schedule(this.intervalMs);
    }
  }

  private failed(err: Error, seconds: number, credential: RpcCredential & { via: string }): void {
    if (err instanceof RpcFailure && err.code === String(RPC_IN_WARMUP)) {
      // Waited for, not counted: every start of bitcoind goes through it.
      this.recorder.down(seconds);
      this.say('warmup', 'info', `RPC pack: bitcoind is warming up (${err.message}); waiting`);
      return;
    }
    const failure =
      err instanceof RpcFailure
        ? err
        : err instanceof AnswerError
          ? new RpcFailure(err.method, 'bad_answer', err.message)
          : new RpcFailure('batch', 'bad_answer', err.message);
    this.recorder.failed(failure.method, failure.code, seconds);
    if (failure.code === 'http_401') this.onRefused();
    const where = redactUrl(credential.url);
    const why =
      failure.code === 'http_401'
        ? `bitcoind at ${where} refused the credentials (HTTP 401; credential: ${credential.via})`
        : failure.method === 'batch'
          ? `bitcoind at ${where}: ${failure.message}`
          : `bitcoind at ${where} failed ${failure.message}`;
    this.say(
      `fail:${failure.method}:${failure.code}`,
      'warn',
      `RPC pack: ${why}; bitcoin_rpc_up is 0 and the node's state is not shown until it answers`,
    );
  }

  private say(state: string, level: 'info' | 'warn', line: string): void {
    if (state === this.said) return;
    this.said = state;
    this.log[level](line);
  }

  /** One WARNING per disagreeing pair: the binary told as one release line, RPC reporting another. */
  private compareRelease(): void {
    const told = this.told;
    const reported = this.reported;
    if (!told || !reported || releaseContains(told, reported)) return;
    const pair = `${told}/${reported}`;
    if (pair === this.warnedPair) return;
    this.warnedPair = pair;
    this.log.warn(
      `bitcoind reports release ${reported} over RPC, but its binary was told as ${told}: the tracepoints are read with ${told}'s semantics; check that --bitcoind is the binary this node runs`,
    );
  }
}
