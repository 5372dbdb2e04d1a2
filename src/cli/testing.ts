/** For the CLI tests: run the real `lengua` (bin/lengua.js) in a child process, from the repo root. */
import { execFile, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

/**
 * Runs `node bin/lengua.js ...args` without blocking the test process (so a test can run several at once);
 * `env` is added to this process's environment. Exit code, stdout and stderr come back.
 */
export function runCliAsync(args: readonly string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { maxBuffer: 1 << 24, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out: stdout, err: stderr });
    });
  });
}

/**
 * A fresh folder with the bundled tweet sample cut in two (train.csv: rows 1-249, validation.csv: the
 * other 96, both with the header) and fast.json, a baseline config without character n-grams.
 */
export function sampleTrainValidation(prefix: string): { dir: string; train: string; validation: string; fastConfig: string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const lines = readFileSync(join(REPO, 'examples/data/tweets-sample.csv'), 'utf8').trimEnd().split('\n');
  const train = join(dir, 'train.csv');
  const validation = join(dir, 'validation.csv');
  writeFileSync(train, [lines[0], ...lines.slice(1, 250)].join('\n') + '\n');
  writeFileSync(validation, [lines[0], ...lines.slice(250)].join('\n') + '\n');
  const fastConfig = join(dir, 'fast.json');
  writeFileSync(fastConfig, JSON.stringify({ charNgrams: null }));
  return { dir, train, validation, fastConfig };
}
