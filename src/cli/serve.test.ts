// `lengua serve` as a user runs it: a child process, the URL on stdout, a request, SIGTERM, exit 0.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { skipWithoutGolden as skip } from '../testing/golden.js';
import { buildServedFixtures, postJson, type ServedFixtures } from '../serve/testing.js';
import { BIN, REPO, runCli } from './testing.js';
import { modelSpecs } from './serve.js';

let fx: ServedFixtures;
before(async () => {
  if (skip !== false) return;
  fx = await buildServedFixtures(['seqcls']);
});
after(() => {
  if (fx !== undefined) rmSync(fx.root, { recursive: true, force: true });
});

test('lengua serve: prints its URL when ready, answers, and exits 0 on SIGTERM after answering', { skip }, async () => {
  const child = spawn(process.execPath, [BIN, 'serve', '--model', `tweets=${fx.seqcls}`, '--port', '0', '--threads', '1', '--max-wait-ms', '200'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
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
    await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGTERM');
    assert.equal((await pending).status, 200);
    assert.equal(await exited, 0);
    assert.match(stderr, /SIGTERM: finishing accepted requests/);
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
  assert.throws(() => modelSpecs(['a=/x'], ['a=translation']), /--task/);
  assert.deepEqual(modelSpecs(['a=/x', '/y/z', 'registry:m@production'], ['a=zero-shot-classification']), [
    { name: 'a', source: '/x', task: 'zero-shot-classification' },
    { source: '/y/z' },
    { source: 'registry:m@production' },
  ]);
});
