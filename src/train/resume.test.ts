import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listCheckpoints, writeCheckpointDir } from './checkpoint.js';
import { GOLDEN } from './testing/task.js';

const CHILD = fileURLToPath(new URL('./testing/resume-child.ts', import.meta.url));
const skip = GOLDEN === null ? 'no ../shared/golden' : false;

function start(args: string[]): { done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>; kill(): void; stderr(): string } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((res) => child.on('exit', (code, signal) => res({ code, signal, stderr })));
  return { done, kill: () => child.kill('SIGKILL'), stderr: () => stderr };
}

test('a run killed with SIGKILL and resumed ends with the same weights, bit for bit, as an uninterrupted run on the same thread count', { skip }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'lengua-kill-'));
  try {
    const a = join(root, 'a');
    const b = join(root, 'b');
    const whole = await start([a]).done;
    assert.equal(whole.code, 0, whole.stderr);
    // The child stops after step 6 (checkpoint-4 written, steps 5-6 not yet saved) and says so; kill it there.
    const slow = start([b, '--hang-after-step', '6']);
    const deadline = Date.now() + 120_000;
    while (!slow.stderr().includes('hanging at step 6')) {
      if (Date.now() > deadline) throw new Error(`the child never reached step 6: ${slow.stderr()}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    slow.kill();
    const killed = await slow.done;
    assert.equal(killed.signal, 'SIGKILL');
    assert.ok(!existsSync(join(b, 'final')), 'the killed run had already finished');
    const steps = listCheckpoints(b).map((c) => c.step);
    assert.ok(steps.length >= 1 && Math.max(...steps) < 24, `checkpoints at kill time: ${steps.join(', ')}`);
    const resumed = await start([b, '--resume']).done;
    assert.equal(resumed.code, 0, resumed.stderr);
    const wa = readFileSync(join(a, 'final', 'model.safetensors'));
    const wb = readFileSync(join(b, 'final', 'model.safetensors'));
    assert.ok(wa.equals(wb), 'resumed weights differ from the uninterrupted run');
    // The optimizer state of the last checkpoint agrees too, and no temporary folder is left.
    assert.ok(readFileSync(join(a, 'checkpoint-24', 'optimizer.safetensors')).equals(readFileSync(join(b, 'checkpoint-24', 'optimizer.safetensors'))));
    assert.ok(!readdirSync(b).some((n) => n.startsWith('.')));
    // The resumed log continues the interrupted one: one loss entry per logging step, no duplicates.
    const log = readFileSync(join(b, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    assert.deepEqual(log.filter((e) => e.loss !== undefined).map((e) => e.step), Array.from({ length: 12 }, (_, i) => 2 * (i + 1)));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a failed checkpoint write leaves the previous checkpoint untouched and no partial folder', async () => {
  const out = mkdtempSync(join(tmpdir(), 'lengua-ckpt-'));
  try {
    await writeCheckpointDir(out, 4, (d) => {
      writeFileSync(join(d, 'model.safetensors'), 'old weights');
      writeFileSync(join(d, 'trainer_state.json'), '{"global_step":4}');
    });
    await assert.rejects(
      writeCheckpointDir(out, 8, (d) => {
        writeFileSync(join(d, 'model.safetensors'), 'half');
        throw new Error('disk full');
      }),
      /disk full/,
    );
    // Rewriting the same step fails half-way: the complete old copy stays.
    await assert.rejects(
      writeCheckpointDir(out, 4, (d) => {
        mkdirSync(join(d, 'sub'));
        throw new Error('disk full');
      }),
      /disk full/,
    );
    assert.deepEqual(readdirSync(out), ['checkpoint-4']);
    assert.equal(readFileSync(join(out, 'checkpoint-4', 'model.safetensors'), 'utf8'), 'old weights');
    assert.deepEqual(listCheckpoints(out).map((c) => c.step), [4]);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('resume refuses checkpoint state that is a symlink leaving the checkpoint folder, naming it', async () => {
  const { readJson } = await import('./checkpoint.js');
  const { symlinkSync } = await import('node:fs');
  const root = mkdtempSync(join(tmpdir(), 'lengua-ckpt-link-'));
  try {
    const ckpt = join(root, 'checkpoint-2');
    mkdirSync(ckpt);
    writeFileSync(join(root, 'secret.json'), '{"token":"do-not-read"}');
    symlinkSync(join(root, 'secret.json'), join(ckpt, 'trainer_state.json'));
    assert.throws(() => readJson(join(ckpt, 'trainer_state.json')), (e: Error) => /trainer_state\.json/.test(e.message) && /outside|leav|link/i.test(e.message) && !/do-not-read/.test(e.message));
    // A regular file in the same place is read.
    rmSync(join(ckpt, 'trainer_state.json'));
    writeFileSync(join(ckpt, 'trainer_state.json'), '{"global_step":2}');
    assert.deepEqual(readJson(join(ckpt, 'trainer_state.json')), { global_step: 2 });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
