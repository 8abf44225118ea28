/**
 * The metrics process: started by the root supervisor as the agent's own user, with no capabilities.
 * bpftrace's output arrives on stdin, the supervisor's view of the attachment over IPC; it decodes,
 * records and serves (/metrics, /health, OTLP). Its log lines go to stdout, which the supervisor writes
 * to the log.
 */
import { ConsoleLogger } from '../log.js';
import { Pipeline } from '../pipeline.js';
import { ConfigError, TlsError } from '../shared/errors.js';
import type { FromWorker, ToWorker } from './messages.js';

function send(msg: FromWorker): void {
  process.send?.(msg);
}

let pipeline: Pipeline | undefined;
/** What arrives while the pipeline starts (bpftrace attaches meanwhile), applied once it runs. */
const pending: Buffer[] = [];
const early: ToWorker[] = [];

process.stdin.on('data', (chunk: Buffer) => {
  if (pipeline) pipeline.write(chunk);
  else pending.push(chunk);
});

// A lost supervisor means nobody feeds or stops us: leave rather than serve stale numbers.
process.on('disconnect', () => process.exit(1));
// Signals are the supervisor's to handle; it tells us to stop over IPC.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
process.on('SIGHUP', () => {});

process.on('message', (msg: ToWorker) => handle(msg));

function handle(msg: ToWorker): void {
  if (!pipeline && (msg.t === 'status' || msg.t === 'error' || msg.t === 'cost' || msg.t === 'rpc')) {
    early.push(msg);
    return;
  }
  switch (msg.t) {
    case 'init': {
      const log = new ConsoleLogger(msg.config.logLevel);
      // The supervisor read the password and TLS files as root; checking and using them happens here.
      Promise.resolve()
        .then(() =>
          Pipeline.start(
            msg.config,
            msg.security,
            msg.bitcoindPath,
            { supervisor: process.ppid, metrics: process.pid },
            log,
          ),
        )
        .then(
          (p) => {
            pipeline = p;
            p.onReady = (attempt) => send({ t: 'ready', attempt });
            // Reads matter to the supervisor only while it samples cost (cost-watch.ts); otherwise it sleeps.
            if (msg.config.probeStats || p.unseen.length > 0) p.onRead = () => send({ t: 'read' });
            if (p.unseen.length > 0) send({ t: 'unseen', processes: p.unseen });
            p.onRpcRefused = () => send({ t: 'rpcRefused' });
            for (const m of early.splice(0)) handle(m);
            for (const chunk of pending.splice(0)) p.write(chunk);
            send({ t: 'listening', urls: p.urls });
          },
          (err: Error) =>
            send({ t: 'fatal', message: err.message, usage: err instanceof ConfigError || err instanceof TlsError }),
        );
      return;
    }
    case 'status':
      pipeline?.status(msg.status);
      return;
    case 'error':
      pipeline?.error(msg.type);
      return;
    case 'cost':
      pipeline?.cost(msg.sample);
      return;
    case 'rpc':
      pipeline?.rpc(msg.endpoint);
      return;
    case 'reload':
      pipeline?.reloadTls(msg.tls);
      return;
    case 'stop':
      void (pipeline?.stop() ?? Promise.resolve()).then(() => process.exit(0));
  }
}
