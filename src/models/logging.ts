/**
 * The one place model code reports warnings (newly initialised weights, unused checkpoint keys, ...).
 * Default: stderr, like transformers' logger. Tests and servers swap the sink or silence it.
 */
export type LogSink = (level: 'warn' | 'info', message: string) => void;

const stderrSink: LogSink = (level, message) => {
  process.stderr.write(`${level === 'warn' ? 'Warning' : 'Info'}: ${message}\n`);
};

let sink: LogSink | null = stderrSink;

export const logger = {
  warn(message: string): void {
    sink?.('warn', message);
  },
  info(message: string): void {
    sink?.('info', message);
  },
  /** Replaces the sink; `null` silences. Returns the previous sink so callers can restore it. */
  setSink(next: LogSink | null): LogSink | null {
    const prev = sink;
    sink = next;
    return prev;
  },
  /** Runs `fn` with warnings collected into an array instead of printed (tests). */
  capture<T>(fn: () => T): { result: T; messages: string[] } {
    const messages: string[] = [];
    const prev = logger.setSink((_l, m) => messages.push(m));
    try {
      return { result: fn(), messages };
    } finally {
      logger.setSink(prev);
    }
  },
  async captureAsync<T>(fn: () => Promise<T>): Promise<{ result: T; messages: string[] }> {
    const messages: string[] = [];
    const prev = logger.setSink((_l, m) => messages.push(m));
    try {
      return { result: await fn(), messages };
    } finally {
      logger.setSink(prev);
    }
  },
};
