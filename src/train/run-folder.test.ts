// A run folder is never replaced by accident and never written by two runs at once (issue 9, items 1-2):
// real folders, a real second process holding the lock, a real SIGKILL leaving a stale lock behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LenguaError } from '../errors.js';
import { acquireRunLock, prepareOutputDir, RUN_LOCK } from './run-folder.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'lengua-runfolder-'));
}

test('prepareOutputDir: an empty or missing folder is fine; a folder with a run is refused unless resuming or overwriting', () => {
  const dir = tmp();
  try {
    prepareOutputDir(join(dir, 'missing'));
    prepareOutputDir(dir);
    writeFileSync(join(dir, '.gitkeep'), ''); // hidden files do not make a run
    prepareOutputDir(dir);
    writeFileSync(join(dir, 'config.json'), '{}');
    writeFileSync(join(dir, 'model.safetensors'), 'x');
    mkdirSync(join(dir, 'checkpoint-10'));
    assert.throws(() => prepareOutputDir(dir, { overwriteFlag: '--overwrite-output-dir', resumeFlag: '--resume-from-checkpoint' }), (err: Error) => {
      assert.ok(err instanceof LenguaError);
      assert.match(err.message, /not empty .*holds a trained model/);
      assert.match(err.message, /--overwrite-output-dir/);
      assert.match(err.message, /--resume-from-checkpoint/);
      return true;
    });
    prepareOutputDir(dir, { resume: true });
    assert.ok(existsSync(join(dir, 'checkpoint-10')), 'resuming keeps the checkpoints');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('prepareOutputDir with overwrite removes what a run wrote (weights, checkpoints, logs, baseline) and nothing else', () => {
  const dir = tmp();
  try {
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'vocab.txt', 'log.jsonl', 'trainer_state.json', 'all_results.json', 'evaluations.json', 'lengua-baseline.json', 'lengua-baseline.safetensors', 'notes.md', 'data.csv']) {
      writeFileSync(join(dir, f), 'x');
    }
    mkdirSync(join(dir, 'checkpoint-5'));
    mkdirSync(join(dir, 'eval-test'));
    mkdirSync(join(dir, 'my-figures'));
    prepareOutputDir(dir, { overwrite: true });
    const left = ['notes.md', 'data.csv', 'my-figures'];
    for (const f of left) assert.ok(existsSync(join(dir, f)), `${f} is not a run file: kept`);
    for (const f of ['config.json', 'model.safetensors', 'checkpoint-5', 'eval-test', 'lengua-baseline.json', 'evaluations.json', 'log.jsonl']) {
      assert.ok(!existsSync(join(dir, f)), `${f} removed`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('prepareOutputDir: --out naming a file is a clear error', () => {
  const dir = tmp();
  try {
    writeFileSync(join(dir, 'f'), 'x');
    assert.throws(() => prepareOutputDir(join(dir, 'f')), /is a file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A child process that takes the run lock of `dir`, says so, and waits to be killed. */
function lockHolder(dir: string): Promise<{ kill: () => Promise<void>; pid: number }> {
  const code = `import { acquireRunLock } from ${JSON.stringify(resolve(import.meta.dirname, 'run-folder.ts'))};
acquireRunLock(${JSON.stringify(dir)}, 'lengua train (test holder)');
process.stdout.write('locked\\n');
setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((res, rej) => {
    child.once('error', rej);
    child.once('exit', (c) => rej(new Error(`lock holder exited with ${c}`)));
    child.stdout.once('data', () => {
      child.removeAllListeners('exit');
      res({
        pid: child.pid!,
        kill: () => new Promise<void>((done) => {
          child.once('exit', () => done());
          child.kill('SIGKILL');
        }),
      });
    });
  });
}

test('a second writer is refused while the first runs; once it is killed, its stale lock is taken over', async () => {
  const dir = tmp();
  try {
    const holder = await lockHolder(dir);
    try {
      assert.throws(() => acquireRunLock(dir), (err: Error) => {
        assert.ok(err instanceof LenguaError);
        assert.match(err.message, new RegExp(`in use by another run: lengua train \\(test holder\\) \\(pid ${holder.pid}`));
        return true;
      });
    } finally {
      await holder.kill(); // SIGKILL: no cleanup runs, the lock file stays
    }
    assert.ok(existsSync(join(dir, RUN_LOCK)), 'a killed run leaves its lock');
    const lock = acquireRunLock(dir);
    assert.equal((JSON.parse(readFileSync(join(dir, RUN_LOCK), 'utf8')) as { pid: number }).pid, process.pid);
    lock.release();
    assert.ok(!existsSync(join(dir, RUN_LOCK)), 'released');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the run lock is re-entrant within a process (the CLI and its Trainer) and freed by the last release', () => {
  const dir = tmp();
  try {
    const outer = acquireRunLock(dir);
    const inner = acquireRunLock(dir);
    inner.release();
    assert.ok(existsSync(join(dir, RUN_LOCK)), 'still held by the outer');
    outer.release();
    outer.release(); // idempotent
    assert.ok(!existsSync(join(dir, RUN_LOCK)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
