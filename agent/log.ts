import { createWriteStream, type WriteStream } from 'node:fs';

export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

function stamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** `2024-01-15 10:30:00 [INFO] fibre-agent: ...`, the format operators of the Python exporter know. */
export class ConsoleLogger implements Logger {
  private readonly threshold: number;
  private file?: WriteStream;

  constructor(
    level: LogLevel = 'INFO',
    logFile?: string,
    private readonly out: NodeJS.WritableStream = process.stdout,
  ) {
    this.threshold = LOG_LEVELS.indexOf(level);
    if (logFile) {
      this.file = createWriteStream(logFile, { flags: 'a', mode: 0o640 });
      this.file.on('error', (err) => {
        this.file = undefined;
        this.error(`cannot write log file ${logFile}: ${err.message}; logging to stdout only`);
      });
    }
  }

  private write(level: LogLevel, msg: string): void {
    if (LOG_LEVELS.indexOf(level) < this.threshold) return;
    // One event, one line: a newline inside a message must not forge a log line.
    const line = `${stamp(new Date())} [${level}] fibre-agent: ${msg.replace(/[\r\n]+/g, ' ')}\n`;
    this.out.write(line);
    this.file?.write(line);
  }

  /** A line another process already formatted (the metrics process's log). */
  raw(line: string): void {
    const text = `${line.replace(/[\r\n]+/g, ' ')}\n`;
    this.out.write(text);
    this.file?.write(text);
  }

  debug(msg: string): void {
    this.write('DEBUG', msg);
  }
  info(msg: string): void {
    this.write('INFO', msg);
  }
  warn(msg: string): void {
    this.write('WARNING', msg);
  }
  error(msg: string): void {
    this.write('ERROR', msg);
  }

  close(): Promise<void> {
    const file = this.file;
    if (!file) return Promise.resolve();
    return new Promise((resolve) => file.end(resolve));
  }
}
