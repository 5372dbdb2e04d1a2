import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog, defaultAuditPath } from './audit.js';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'lengua-audit-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const lines = (path: string): Array<Record<string, unknown>> => readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

test('events are JSON lines with a time, in a 0600 file created with its folder', () => {
  const path = join(dir, 'new', 'audit.jsonl');
  const log = new AuditLog(path);
  log.authFailure({ ip: '127.0.0.1', method: 'POST', route: '/embed', reason: 'bad_secret', keyId: '0123456789abcdef' });
  log.admin({ action: 'key.create', actor: 'cli:alice', key: '0123456789abcdef', scope: 'predict' });
  assert.equal(statSync(path).mode & 0o777, 0o600);
  const [a, b] = lines(path);
  assert.ok(!Number.isNaN(Date.parse(a!.time as string)));
  assert.deepEqual({ ...a, time: 0 }, { time: 0, event: 'auth_failure', ip: '127.0.0.1', method: 'POST', route: '/embed', reason: 'bad_secret', keyId: '0123456789abcdef' });
  assert.deepEqual({ ...b, time: 0 }, { time: 0, event: 'admin', action: 'key.create', actor: 'cli:alice', key: '0123456789abcdef', scope: 'predict' });
});

test('fields that come from requests are cut to a bounded length; a line stays one line', () => {
  const path = join(dir, 'bounded.jsonl');
  new AuditLog(path).authFailure({ ip: '::1', method: 'GET', route: `/x\n${'y'.repeat(5000)}`, reason: 'missing_key' });
  const text = readFileSync(path, 'utf8');
  assert.equal(text.split('\n').length, 2);
  assert.ok((lines(path)[0]!.route as string).length <= 513);
});

test('a write that fails is reported, not thrown', () => {
  const folder = join(dir, 'is-a-folder');
  mkdirSync(folder);
  const errors: string[] = [];
  new AuditLog(folder, (e) => errors.push(e.message)).admin({ action: 'x', actor: 'y' });
  assert.equal(errors.length, 1);
  assert.match(errors[0]!, /EISDIR/);
});

test('the default path is in LENGUA_HOME', () => {
  const before = process.env.LENGUA_HOME;
  process.env.LENGUA_HOME = dir;
  try {
    assert.equal(defaultAuditPath(), join(dir, 'audit.jsonl'));
  } finally {
    if (before === undefined) delete process.env.LENGUA_HOME;
    else process.env.LENGUA_HOME = before;
  }
});

test('writers in several processes at once interleave whole lines (O_APPEND)', async () => {
  const path = join(dir, 'shared.jsonl');
  const url = new URL('./audit.ts', import.meta.url).href;
  const n = 300;
  const script = `const { AuditLog } = await import(${JSON.stringify(url)}); const log = new AuditLog(${JSON.stringify(path)}); const w = process.argv[1];
for (let i = 0; i < ${n}; i++) log.admin({ action: 'test', actor: w, i, pad: 'x'.repeat(200 + (i % 7) * 50) });`;
  const run = (w: string): Promise<number | null> => new Promise((resolve) => {
    spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, w], { stdio: 'inherit' }).on('exit', resolve);
  });
  assert.deepEqual(await Promise.all([run('p1'), run('p2'), run('p3')]), [0, 0, 0]);
  const all = lines(path);
  assert.equal(all.length, 3 * n);
  for (const w of ['p1', 'p2', 'p3']) assert.deepEqual(all.filter((l) => l.actor === w).map((l) => l.i), Array.from({ length: n }, (_, i) => i));
});
