/** The fibre-agent command: `fibre-agent [options]` watches a bitcoind, `fibre-agent demo` a simulated one. */
import type { ChildProcess } from 'node:child_process';
import { Command, CommanderError, Option } from 'commander';
import { Agent } from './agent.js';
import { resolveConfig, resolveSettings, unknownKeys } from './config/load.js';
import { type AgentConfig, type RawValue, SETTINGS } from './config/settings.js';
import { buildSimulator, checkDemoPrivileges, startSimulator } from './demo.js';
import type { BlocksOptions } from './journal/cli.js';
import { ConsoleLogger } from './log.js';
import { PrivilegeError } from './privileges.js';
import { WorkerStartError } from './privsep/worker-handle.js';
import { BlocksUsageError, ConfigError, TlsError } from './shared/errors.js';
import { AttachError } from './source/supervisor.js';
import { TargetError } from './source/target.js';
import { VERSION } from './version.js';

/** Exit statuses: 2 for anything the user must fix in how the agent is started, 1 for the rest. */
const EXIT_USAGE = 2;
const EXIT_FAILURE = 1;

function fail(message: string, status: number): never {
  process.stderr.write(`fibre-agent: error: ${message}\n`);
  process.exit(status);
}

function addSettings(cmd: Command): Command {
  cmd.option('-c, --config <path>', 'YAML config file (keys as in config.example.yaml)');
  for (const s of SETTINGS) {
    const def = s.default === undefined ? '' : ` (default: ${s.default})`;
    const opt = new Option(s.flag, `${s.description}${def} [env ${s.env}]`);
    if (s.repeatable) opt.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
    cmd.addOption(opt);
  }
  return cmd;
}

/**
 * What was given on the command line: commander gives a --no-X flag a default of true, which would
 * otherwise hide the environment and the config file.
 */
function given(flags: Record<string, unknown>, cmd: Command): Record<string, unknown> {
  return Object.fromEntries(Object.entries(flags).filter(([k]) => cmd.getOptionValueSource(k) !== 'default'));
}

/** The named YAML file's settings; the parser is loaded only then (config/yaml-file.ts says why). */
async function readFile(fileName: string | undefined): Promise<Record<string, RawValue>> {
  if (!fileName) return {};
  const { readConfigFile } = await import('./config/yaml-file.js');
  return readConfigFile(fileName);
}

async function loadConfig(
  allFlags: Record<string, unknown>,
  cmd: Command,
): Promise<{ config: AgentConfig; warnings: string[] }> {
  const flags = given(allFlags, cmd);
  const fileName = (flags.config as string | undefined) ?? process.env.FIBRE_CONFIG;
  const file = await readFile(fileName);
  const warnings = unknownKeys(file).map((k) => `unknown key in ${fileName}: ${k} (ignored)`);
  return { config: resolveConfig({ flags, env: process.env, file, fileName }), warnings };
}

/** Runs the agent until SIGINT/SIGTERM; a second signal exits at once. */
async function runAgent(config: AgentConfig, log: ConsoleLogger, onStop?: () => void): Promise<void> {
  let agent: Agent | undefined;
  let stopping = false;
  const finish = (code: number) => {
    void (agent?.stop() ?? Promise.resolve()).finally(async () => {
      onStop?.();
      if (code === 0) log.info('Stopped');
      await log.close();
      process.exit(code);
    });
  };
  const crash = (why: string) => {
    if (stopping) return;
    stopping = true;
    log.error(`${why}; shutting down`);
    finish(EXIT_FAILURE);
  };
  // Installed before anything starts: a signal during start-up still detaches whatever got attached.
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn(`${signal} again: exiting now`);
      process.exit(EXIT_FAILURE);
    }
    stopping = true;
    log.info(`${signal} received: detaching probes and shutting down`);
    // During start-up this also aborts a pending attach; start() then fails and we exit below.
    if (agent) finish(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  process.on('SIGHUP', () => agent?.reloadTls());
  try {
    agent = await Agent.start(config, log, crash, (created) => {
      agent = created;
    });
  } catch (err) {
    onStop?.();
    if (stopping) {
      await log.close();
      process.exit(0);
    }
    if (err instanceof AttachError || err instanceof PrivilegeError || err instanceof WorkerStartError) {
      log.error(err.message);
      await log.close();
      process.exit(EXIT_FAILURE);
    }
    throw err;
  }
  if (stopping) finish(0);
}

async function main(argv: string[]): Promise<void> {
  const program = addSettings(new Command('fibre-agent'))
    .description('Exports FIBRE block relay metrics from bitcoind USDT tracepoints to Prometheus and OpenTelemetry')
    .version(VERSION, '--version', 'print the version and exit')
    .helpOption('-h, --help', 'show this help')
    .showSuggestionAfterError(false)
    // `fibre-agent demo --port 1`: options after the subcommand are the subcommand's.
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({
      outputError: (text, write) => write(`fibre-agent: ${text.trim().split('\n')[0]}\n`),
    })
    .action(async (flags: Record<string, unknown>, cmd: Command) => {
      const { config, warnings } = await loadConfig(flags, cmd);
      const log = new ConsoleLogger(config.logLevel, config.logFile);
      for (const w of warnings) log.warn(w);
      await runAgent(config, log);
    });

  addSettings(program.command('demo'))
    .description('run the real pipeline against a simulated bitcoind that fires a block every few seconds')
    .option('--block-interval <seconds>', 'seconds between simulated blocks', '3')
    .action(async (flags: Record<string, unknown>, cmd: Command) => {
      checkDemoPrivileges();
      const interval = Number(flags.blockInterval);
      if (!(interval > 0)) throw new ConfigError('--block-interval must be a positive number of seconds');
      const binary = await buildSimulator();
      const { config, warnings } = await loadConfig({ ...flags, bitcoind: binary }, cmd);
      const sim: ChildProcess = await startSimulator(binary, interval);
      const stopSim = () => sim.kill('SIGTERM');
      try {
        const log = new ConsoleLogger(config.logLevel, config.logFile);
        for (const w of warnings) log.warn(w);
        log.info(`Demo: simulated bitcoind ${binary} (pid ${sim.pid}), one block every ${interval}s`);
        await runAgent({ ...config, pid: sim.pid }, log, stopSim);
      } catch (err) {
        stopSim();
        throw err;
      }
    });

  program
    .command('blocks')
    .description('print the per-block journal from its file, newest first (no running agent needed)')
    .option('--limit <n>', 'blocks to show', '20')
    .option('--slow', 'only slow and very slow blocks')
    .option('--hash <hash>', 'the one block with this hash (display order)')
    .option('--since <age>', 'blocks first seen within this age: 90s, 30m, 24h, 7d')
    .option('--json', 'JSON records instead of a table')
    .option('--journal-path <path>', 'the journal file (default: as the agent: FIBRE_JOURNAL_PATH, journal_path, ...)')
    .option('-c, --config <path>', "the agent's YAML config file, for its journal_path")
    .action(async (flags: Omit<BlocksOptions, 'journalPath'> & { journalPath?: string; config?: string }) => {
      // The file the agent writes: the same precedence as the agent's (flag, environment, file,
      // default), and only that setting: a bad value of another, which this command never reads,
      // must not stop it.
      const fileName = flags.config ?? process.env.FIBRE_CONFIG;
      const file = await readFile(fileName);
      const { journalPath } = resolveSettings(
        { flags: { journalPath: flags.journalPath }, env: process.env, file, fileName },
        ['journalPath'],
      );
      // Loaded here: the agent itself never reads the journal this way, nor loads SQLite as root.
      const { blocksOutput } = await import('./journal/cli.js');
      process.stdout.write(blocksOutput({ ...flags, journalPath }));
    });

  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE);
    }
    if (
      err instanceof ConfigError ||
      err instanceof TlsError ||
      err instanceof TargetError ||
      err instanceof BlocksUsageError
    )
      fail(err.message, EXIT_USAGE);
    fail((err as Error).message ?? String(err), EXIT_FAILURE);
  }
}

void main(process.argv);
