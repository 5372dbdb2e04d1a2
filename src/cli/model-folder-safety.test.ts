// Issue 9, end to end through the real CLI: a model folder whose files link out of it is refused
// (exit non-zero, naming the file), a linked model folder still works, and offline mode names what is
// missing for a Hub id that is not in the cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, REPO } from './testing.js';
import { golden, skipWithoutGolden as skip } from '../testing/golden.js';

const FIXTURE = golden('fixtures', 'bert-synth-seqcls');

function run(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [BIN, ...args], { cwd: REPO, encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });
}

/** A writable copy of the fixture in a fresh temp folder: `<root>/model`. */
function copyFixture(): { root: string; dir: string } {
  const root = mkdtempSync(join(tmpdir(), 'lengua-safety-'));
  const dir = join(root, 'model');
  mkdirSync(dir);
  for (const f of readdirSync(FIXTURE)) copyFileSync(join(FIXTURE, f), join(dir, f));
  return { root, dir };
}

test('predict refuses a model folder whose vocab.txt links to /etc/passwd', { skip }, () => {
  const { dir } = copyFixture();
  rmSync(join(dir, 'vocab.txt'));
  symlinkSync('/etc/passwd', join(dir, 'vocab.txt'));
  const r = run(['predict', '--model', dir, 'hola']);
  assert.notEqual(r.status, 0, r.stdout);
  assert.equal(r.stdout, '');
  assert.ok(r.stderr.includes(join(dir, 'vocab.txt')), r.stderr);
  assert.match(r.stderr, /\/etc\/passwd.*links out of a model folder are refused/);
});

test('predict refuses weights and config that link out of the folder, even to valid files', { skip }, () => {
  for (const f of ['model.safetensors', 'config.json']) {
    const { root, dir } = copyFixture();
    const outside = join(root, `outside-${f}`);
    copyFileSync(join(dir, f), outside);
    rmSync(join(dir, f));
    symlinkSync(outside, join(dir, f));
    const r = run(['predict', '--model', dir, 'hola']);
    assert.notEqual(r.status, 0, `${f}: ${r.stdout}`);
    assert.ok(r.stderr.includes(join(dir, f)) && r.stderr.includes(outside), r.stderr);
  }
});

test('predict accepts a model folder reached through a symlink', { skip }, () => {
  const { root, dir } = copyFixture();
  const link = join(root, 'linked-model');
  symlinkSync(dir, link);
  const r = run(['predict', '--model', link, 'hola']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /"hola"/);
});

test('offline predict of a Hub id not in the cache names the id, revision, files, cache path and what to do', () => {
  const cache = mkdtempSync(join(tmpdir(), 'lengua-offline-cache-'));
  const r = run(['predict', '--model', 'someone/x', 'hola'], { HF_HUB_OFFLINE: '1', HF_HUB_CACHE: cache });
  assert.notEqual(r.status, 0);
  assert.doesNotMatch(r.stderr, /Missing: \./);
  for (const s of ['someone/x', '"main"', join(cache, 'models--someone--x'), 'tokenizer.json', 'vocab.txt', 'HF_HUB_OFFLINE', 'lengua hub download someone/x', 'local folder']) {
    assert.ok(r.stderr.includes(s), `names ${s}: ${r.stderr}`);
  }
});
