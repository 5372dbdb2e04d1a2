/** For the CLI tests: run the real `lengua` (bin/lengua.js) in a child process, from the repo root. */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '../..');
export const BIN = join(REPO, 'bin', 'lengua.js');

export interface RunCliOptions {
  /** Milliseconds before the child is killed (default: no limit). */
  timeout?: number;
  /** Text fed to its stdin. */
  input?: string;
}

/** Runs `node bin/lengua.js ...args` and waits for it; stdout and stderr come back as text. */
export function runCli(args: readonly string[], opts: RunCliOptions = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [BIN, ...args], {
    cwd: REPO,
    encoding: 'utf8',
    ...(opts.timeout !== undefined ? { timeout: opts.timeout } : {}),
    ...(opts.input !== undefined ? { input: opts.input } : {}),
  });
}
