// `lengua serve` as a user runs it: a child process, the URL on stdout, a request, SIGTERM, exit 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { skipWithoutGolden as skip } from '../testing/golden.js';
import { useServedFixtures, postJson } from '../serve/testing.js';
import { BIN, REPO, runCli } from './testing.js';
import { modelSpecs } from './serve.js';

const fixtures = useServedFixtures(['seqcls']);

test('lengua serve: prints its URL when ready, answers, and exits 0 on SIGTERM after answering', { skip }, async () => {
  const child = spawn(process.execPath, [BIN, 'serve', '--model', `tweets=${fixtures().seqcls}`, '--port', '0', '--threads', '1', '--max-wait-ms', '1500'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', () => reject(new Error(`serve exited early: ${stderr}`)));
    });
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(stderr, /serving tweets \(text-classification, version local\)/);
    const r = await postJson(`${url}/models/tweets`, { inputs: 'I love it' });
    assert.equal(r.status, 200);
    // A request in its batch window when SIGTERM arrives is still answered.
    const pending = postJson(`${url}/models/tweets`, { inputs: 'still answered' });
    // SIGTERM once the request waits in the queue (its batch window is 1.5 s).
    for (let i = 0; i < 100; i++) {
      if (/lengua_requests_pending\{model="tweets",version="local"\} 1/.test(await (await fetch(`${url}/metrics`)).text())) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill('SIGTERM');
    assert.equal((await pending).status, 200);
    assert.equal(await exited, 0);
    assert.match(stderr, /SIGTERM: finishing accepted requests/);
    assert.match(stderr, /warning: no --keys: every route is open\./);
  } finally {
    child.kill('SIGKILL');
  }
});

test('lengua keys create + lengua serve --keys: 401 without the key, 200 with it; the warning only without --keys', { skip }, async () => {
  const keys = `${fixtures().root}/keys.json`;
  const created = runCli(['keys', 'create', '--name', 'app', '--scope', 'predict', '--keys', keys, '--audit', `${fixtures().root}/audit.jsonl`]);
  assert.equal(created.status, 0, created.stderr);
  const key = created.stdout.trim();
  const child = spawn(process.execPath, [BIN, 'serve', '--model', `m=${fixtures().seqcls}`, '--port', '0', '--threads', '1', '--keys', keys, '--audit', `${fixtures().root}/audit.jsonl`], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', () => reject(new Error(`serve exited early: ${stderr}`)));
    });
    assert.equal((await postJson(`${url}/models/m`, { inputs: 'hi' })).status, 401);
    assert.equal((await postJson(`${url}/models/m`, { inputs: 'hi' }, { authorization: `Bearer ${key}` })).status, 200);
    assert.doesNotMatch(stderr, /no --keys/);
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    child.kill('SIGKILL');
  }
});

test('lengua serve: bad flags name the flag', () => {
  const none = runCli(['serve']);
  assert.equal(none.status, 1);
  assert.match(none.stderr, /--model/);
  const port = runCli(['serve', '--model', 'x', '--port', '70000']);
  assert.equal(port.status, 1);
  assert.match(port.stderr, /--port/);
  const missing = runCli(['serve', '--model', 'm=/nonexistent/folder']);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /nonexistent/);
  assert.throws(() => modelSpecs(['a=/x'], ['a=image-to-text']), /--task/);
  assert.deepEqual(modelSpecs(['a=/x', '/y/z', 'registry:m@production'], ['a=zero-shot-classification']), [
    { name: 'a', source: '/x', task: 'zero-shot-classification' },
    { source: '/y/z' },
    { source: 'registry:m@production' },
  ]);
});
