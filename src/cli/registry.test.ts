import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, REPO, runCli } from './testing.js';
import { golden, skipWithoutGolden } from '../testing/golden.js';
import { exportedFolder, trainingFolder } from '../registry/testing/folders.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'lengua-cli-reg-'));
}

/** Runs `lengua registry ...` and expects exit code `code`; returns stdout. */
function reg(args: string[], code = 0): string {
  const r = runCli(['registry', ...args], { timeout: 120_000 });
  assert.equal(r.status, code, `lengua registry ${args.join(' ')}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}

function regErr(args: string[]): string {
  const r = runCli(['registry', ...args], { timeout: 120_000 });
  assert.equal(r.status, 1, `expected failure: lengua registry ${args.join(' ')}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stderr;
}

function files(dir: string, rel = ''): string[] {
  return readdirSync(join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const p = rel === '' ? e.name : `${rel}/${e.name}`;
    return e.isDirectory() ? files(dir, p) : [p];
  }).sort();
}

const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

test('registry push, list, show, promote, rollback, pull and verify end to end', () => {
  const root = tmp();
  try {
    const src = exportedFolder(join(root, 'src'));
    const R = ['--registry', join(root, 'reg')];
    assert.match(reg(['list', ...R]), /the registry .* is empty/);
    const p1 = reg(['push', src, '--name', 'sent', '--notes', 'first', ...R]);
    assert.match(p1, /^pushed sent@1\.0\.0 from an exported folder\n {2}4 files, .*; 4 new blob\(s\)/);
    assert.match(p1, /onnx: onnx\/model\.onnx; model card: README\.md/);
    // The same files again: only the card is new.
    const p2 = JSON.parse(reg(['push', src, '--name', 'sent', '--json', ...R])) as Record<string, unknown>;
    assert.deepEqual([p2.version, p2.newBlobs, p2.files, p2.onnx], ['1.0.1', 1, 4, ['onnx/model.onnx']]);
    reg(['push', src, '--name', 'sent', '--version', '1.2.0', ...R]);
    assert.match(regErr(['push', src, '--name', 'sent', '--version=1.2.0', ...R]), /sent@1\.2\.0 already exists; a version is never replaced/);
    reg(['push', src, '--name', 'other', ...R]);

    assert.equal(reg(['list', ...R]), 'NAME   VERSIONS  LATEST  STAGING  PRODUCTION\nother  1         1.0.0   -        -\nsent   3         1.2.0   -        -\n');
    assert.match(reg(['promote', 'sent@1.0.0', '--stage', 'production', ...R]), /^sent@production: \(none\) → 1\.0\.0$/m);
    assert.match(regErr(['rollback', 'sent', ...R]), /sent@production is 1\.0\.0 and has no earlier version to go back to .* It stays at 1\.0\.0/);
    assert.match(reg(['promote', 'sent@1.0.1', '--stage', 'production', ...R]), /sent@production: 1\.0\.0 → 1\.0\.1/);
    assert.match(reg(['promote', 'sent@1.0.1', '--stage', 'production', ...R]), /already 1\.0\.1; nothing changed/);
    assert.match(reg(['promote', 'sent@1.2.0', '--stage', 'staging', ...R]), /sent@staging: \(none\) → 1\.2\.0/);
    assert.match(regErr(['promote', 'sent@1.0.0', '--stage', 'prod', ...R]), /--stage.*(staging|production)/);
    assert.match(regErr(['promote', 'sent@9.0.0', '--stage', 'staging', ...R]), /sent has no version 9\.0\.0/);
    const listed = JSON.parse(reg(['list', '--json', ...R])) as Array<Record<string, unknown>>;
    assert.deepEqual(listed[1], { name: 'sent', versions: ['1.0.0', '1.0.1', '1.2.0'], latest: '1.2.0', staging: '1.2.0', production: '1.0.1' });

    const shown = reg(['show', 'sent', ...R]);
    assert.match(shown, /^sent: 3 version\(s\); staging 1\.2\.0, production 1\.0\.1$/m);
    assert.match(shown, /^ {2}1\.0\.0 .* first$/m);
    assert.match(shown, /^ {2}1\.0\.1 .*\[production\]$/m);
    assert.match(shown, /production before: 1\.0\.0 \(rollback goes back to 1\.0\.0\)/);
    const prod = reg(['show', 'sent@production', ...R]);
    assert.match(prod, /^sent@1\.0\.1 \(production\), pushed /);
    assert.match(prod, /labels: negative, neutral, positive/);
    assert.match(prod, new RegExp(`onnx/model\\.onnx .* ${sha(join(src, 'onnx', 'model.onnx'))}`));
    const manifest = JSON.parse(reg(['show', 'sent@1.0.0', '--json', ...R])) as { files: Array<{ path: string; sha256: string }>; notes: string; via: string };
    assert.deepEqual([manifest.notes, manifest.via], ['first', 'version']);
    assert.match(reg(['show', 'sent@1.0.0', '--card', ...R]), /^# sent 1\.0\.0$/m);
    const history = JSON.parse(reg(['show', 'sent', '--json', ...R])) as { history: { production: Array<{ action: string }> } };
    assert.deepEqual(history.history.production.map((e) => e.action), ['promote', 'promote']);

    assert.match(reg(['rollback', 'sent', ...R]), /^sent@production: rolled back 1\.0\.1 → 1\.0\.0$/m);
    assert.equal((JSON.parse(reg(['list', '--json', ...R])) as Array<Record<string, unknown>>)[1]!.production, '1.0.0');
    assert.match(regErr(['rollback', 'sent', ...R]), /no earlier version/);
    assert.match(regErr(['rollback', 'nobody', ...R]), /nobody has no production version/);

    // pull: the pushed files come back byte for byte.
    const out = join(root, 'pulled');
    assert.match(reg(['pull', 'sent@latest', '--out', out, ...R]), /^pulled sent@1\.2\.0: 4 files, .* into /);
    assert.deepEqual(files(out), ['README.md', 'config.json', 'onnx/model.onnx', 'tokenizer.json']);
    for (const f of ['config.json', 'onnx/model.onnx', 'tokenizer.json']) assert.ok(readFileSync(join(out, f)).equals(readFileSync(join(src, f))), f);
    assert.match(regErr(['pull', 'sent@1.0.0', '--out', out, ...R]), /is not empty; pull into a new or empty folder/);

    // 3 distinct files + 4 cards (one per version: each names its version).
    assert.match(reg(['verify', ...R]), /^checked 4 version\(s\), 7 blob\(s\), .*: all intact$/m);
    const v = JSON.parse(reg(['verify', 'sent@1.0.0', '--json', ...R])) as { versions: number; problems: unknown[] };
    assert.deepEqual([v.versions, v.problems], [1, []]);
    assert.match(regErr(['show', 'nope', ...R]), /no model "nope" in the registry .* \(models: other, sent\)/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('registry verify: a corrupted blob exits 1 naming the blob file, every name@version and path that uses it', () => {
  const root = tmp();
  try {
    const src = exportedFolder(join(root, 'src'));
    const R = ['--registry', join(root, 'reg')];
    reg(['push', src, '--name', 'm', ...R]);
    reg(['push', src, '--name', 'm', ...R]);
    const onnxSha = sha(join(src, 'onnx', 'model.onnx'));
    const blob = join(root, 'reg', 'blobs', 'sha256', onnxSha.slice(0, 2), onnxSha);
    const b = readFileSync(blob);
    b[0] = b[0]! ^ 0xff;
    writeFileSync(blob, b);
    const r = runCli(['registry', 'verify', ...R]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, new RegExp(`^CORRUPTED: m@1\\.0\\.0 onnx/model\\.onnx: corrupted or tampered: its blob holds sha256 [0-9a-f]{64} where ${onnxSha} was recorded\\n {2}file: ${blob}$`, 'm'));
    assert.match(r.stdout, /^CORRUPTED: m@1\.0\.1 onnx\/model\.onnx/m);
    assert.match(r.stdout, /checked 2 version\(s\), 5 blob\(s\), .*: 2 problem\(s\)/);
    assert.match(r.stderr, /^lengua: verify found 2 problem\(s\)/);
    assert.match(regErr(['pull', 'm@1.0.0', '--out', join(root, 'out'), ...R]), /m@1\.0\.0 onnx\/model\.onnx: corrupted or tampered/);
    assert.ok(!existsSync(join(root, 'out')));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('registry with --encryption-key-file or LENGUA_REGISTRY_KEY: ciphertext at rest, no key and a wrong key refused, tampering found; the key never printed', () => {
  const root = tmp();
  const saved = process.env.LENGUA_REGISTRY_KEY;
  try {
    const src = exportedFolder(join(root, 'src'));
    const keyHex = randomBytes(32).toString('hex');
    const keyFile = join(root, 'key');
    writeFileSync(keyFile, keyHex + '\n');
    chmodSync(keyFile, 0o600);
    const R = ['--registry', join(root, 'reg')];
    const outputs: string[] = [];
    const pushed = runCli(['registry', 'push', src, '--name', 'm', '--encryption-key-file', keyFile, ...R]);
    assert.equal(pushed.status, 0, pushed.stderr);
    assert.match(pushed.stdout, /\(encrypted\)/);
    outputs.push(pushed.stdout, pushed.stderr);
    const onnxSha = sha(join(src, 'onnx', 'model.onnx'));
    const blob = join(root, 'reg', 'blobs', 'sha256', onnxSha.slice(0, 2), onnxSha);
    assert.equal(readFileSync(blob).subarray(0, 4).toString(), 'LGE1');
    assert.ok(!readFileSync(blob).includes(readFileSync(join(src, 'onnx', 'model.onnx')).subarray(0, 32)));

    outputs.push(regErr(['list', ...R]));
    assert.match(outputs[outputs.length - 1]!, /the registry is encrypted: open it with its key \(--encryption-key-file FILE or LENGUA_REGISTRY_KEY\)/);
    const wrong = join(root, 'wrong');
    writeFileSync(wrong, randomBytes(32));
    chmodSync(wrong, 0o600);
    assert.match(regErr(['list', '--encryption-key-file', wrong, ...R]), /wrong key: the key given does not open this encrypted registry/);

    process.env.LENGUA_REGISTRY_KEY = Buffer.from(keyHex, 'hex').toString('base64');
    const out = join(root, 'out');
    outputs.push(reg(['pull', 'm@1.0.0', '--out', out, ...R]), reg(['verify', ...R]), reg(['show', 'm@1.0.0', '--json', ...R]));
    assert.ok(readFileSync(join(out, 'onnx', 'model.onnx')).equals(readFileSync(join(src, 'onnx', 'model.onnx'))));
    const b = readFileSync(blob);
    b[b.length - 20] = b[b.length - 20]! ^ 1;
    writeFileSync(blob, b);
    const r = runCli(['registry', 'verify', ...R]);
    assert.equal(r.status, 1);
    assert.match(r.stdout, new RegExp(`^TAMPERED: m@1\\.0\\.0 onnx/model\\.onnx: tampered or corrupted: the AES-GCM authentication tag of its blob does not match\\n {2}file: ${blob}$`, 'm'));
    outputs.push(r.stdout, r.stderr, regErr(['pull', 'm@1.0.0', '--out', join(root, 'out2'), ...R]));
    process.env.LENGUA_REGISTRY_KEY = 'not-a-key';
    outputs.push(regErr(['list', ...R]));
    assert.match(outputs[outputs.length - 1]!, /LENGUA_REGISTRY_KEY: the key must be 32 bytes/);
    for (const o of outputs) {
      assert.ok(!o.includes(keyHex) && !o.includes(Buffer.from(keyHex, 'hex').toString('base64')) && !o.includes('not-a-key'), `the key was printed: ${o}`);
    }
  } finally {
    if (saved === undefined) delete process.env.LENGUA_REGISTRY_KEY;
    else process.env.LENGUA_REGISTRY_KEY = saved;
    rmSync(root, { recursive: true, force: true });
  }
});

/** Starts the CLI with a pause before its commit point; resolves once it says it is paused. */
async function startPaused(args: string[], point: 'push' | 'promote'): Promise<{ kill(): Promise<NodeJS.Signals | null> }> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO, env: { ...process.env, LENGUA_TEST_REGISTRY_PAUSE: point }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_code, signal) => res(signal)));
  const deadline = Date.now() + 60_000;
  while (!stderr.includes(`test pause before the ${point} commit`)) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`the child never paused: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    kill: async () => {
      child.kill('SIGKILL');
      return exited;
    },
  };
}

test('a push or promote killed with SIGKILL before its commit leaves the registry as it was; the orphan blobs are reported; the push and promote work again', async () => {
  const root = tmp();
  try {
    const R = ['--registry', join(root, 'reg')];
    const a = exportedFolder(join(root, 'a'));
    const b = exportedFolder(join(root, 'b'), 8192);
    reg(['push', a, '--name', 'm', ...R]);
    reg(['promote', 'm@1.0.0', '--stage', 'production', ...R]);
    const before = reg(['list', '--json', ...R]);
    const beforeShow = reg(['show', 'm', '--json', ...R]);

    const push = await startPaused(['registry', 'push', b, '--name', 'm', ...R], 'push');
    assert.equal(await push.kill(), 'SIGKILL');
    assert.equal(reg(['list', '--json', ...R]), before);
    assert.equal(reg(['show', 'm', '--json', ...R]), beforeShow);
    const v = JSON.parse(reg(['verify', '--json', ...R])) as { problems: unknown[]; orphans: string[] };
    assert.deepEqual(v.problems, []);
    // The killed push stored b's onnx file and its card before it died: blobs nothing references.
    assert.ok(v.orphans.includes(`blobs/sha256/${sha(join(b, 'onnx', 'model.onnx')).slice(0, 2)}/${sha(join(b, 'onnx', 'model.onnx'))}`), v.orphans.join(', '));
    assert.match(reg(['verify', ...R]), /note: \d blob\(s\) no version references \(left by an interrupted push; harmless\)/);
    const again = JSON.parse(reg(['push', b, '--name', 'm', '--json', ...R])) as { version: string; newBlobs: number };
    // The onnx file was stored by the killed push: only the new card is stored now; the killed push's card stays an orphan.
    assert.deepEqual([again.version, again.newBlobs], ['1.0.1', 1]);
    assert.equal((JSON.parse(reg(['verify', '--json', ...R])) as { orphans: string[] }).orphans.length, 1);

    const promote = await startPaused(['registry', 'promote', 'm@1.0.1', '--stage', 'production', ...R], 'promote');
    assert.equal(await promote.kill(), 'SIGKILL');
    assert.equal((JSON.parse(reg(['list', '--json', ...R])) as Array<{ production: string }>)[0]!.production, '1.0.0');
    assert.match(reg(['promote', 'm@1.0.1', '--stage', 'production', ...R]), /1\.0\.0 → 1\.0\.1/);
    assert.match(reg(['rollback', 'm', ...R]), /rolled back 1\.0\.1 → 1\.0\.0/);
    assert.ok(!files(join(root, 'reg')).some((f) => /\/\.[^/]*$/.test(f) || f.startsWith('.')), `no lock or temporary left: ${files(join(root, 'reg')).join(', ')}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('registry push of a training folder: --no-export stores it as it is with its metrics and data fingerprints; the card says so', () => {
  const root = tmp();
  try {
    const run = trainingFolder(join(root, 'run'));
    const data = join(root, 'train.csv');
    writeFileSync(data, 'text,label\nhi,positive\n');
    const R = ['--registry', join(root, 'reg')];
    assert.match(regErr(['push', join(root, 'nothing-here'), '--name', 'x', ...R]), /no such folder/);
    const out = reg(['push', run, '--name', 'clf', '--no-export', '--data', data, ...R]);
    assert.match(out, /^pushed clf@1\.0\.0 from a training folder\n/);
    assert.match(out, /onnx: none/);
    assert.match(out, /left out: checkpoint-2\/ \(a training checkpoint/);
    assert.match(out, /left out: eval-validation\/predictions\.jsonl \(evaluation texts/);
    const shown = reg(['show', 'clf@1.0.0', ...R]);
    assert.match(shown, /evaluation \[validation\] n=96: accuracy 0\.6250, macro_f1 0\.5812, log_loss 0\.9000/);
    assert.match(shown, new RegExp(`data \\(given at push\\): .*train\\.csv sha256 ${sha(data)}`));
    const card = reg(['show', 'clf@1.0.0', '--card', ...R]);
    assert.match(card, /ONNX: none \(pushed without an export\)/);
    assert.match(card, /\| validation \| 96 \| 0\.6250 \|/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('registry push of a training folder exports it to ONNX on push (libtorch, validated); the version serves from its onnx/', { skip: skipWithoutGolden }, () => {
  const root = tmp();
  try {
    const R = ['--registry', join(root, 'reg')];
    const fixture = golden('fixtures', 'bert-synth-seqcls');
    const out = reg(['push', fixture, '--name', 'bert', ...R]);
    assert.match(out, /^pushed bert@1\.0\.0 from a training folder \(exported to ONNX on push\)/);
    const m = JSON.parse(reg(['show', 'bert@1.0.0', '--json', ...R])) as {
      onnx: string[]; source: { exportedOnPush: boolean }; export: { task: string; opset: number; maxAbsDiff: number }; files: Array<{ path: string }>;
    };
    assert.deepEqual(m.onnx, ['onnx/model.onnx']);
    assert.equal(m.source.exportedOnPush, true);
    assert.equal(m.export.task, 'text-classification');
    assert.ok(m.export.maxAbsDiff < 1e-4);
    assert.ok(m.files.some((f) => f.path === 'model.safetensors') && m.files.some((f) => f.path === 'README.source.md'));
    const pulled = join(root, 'pulled');
    reg(['pull', 'bert', '--out', pulled, ...R]);
    assert.ok(readFileSync(join(pulled, 'model.safetensors')).equals(readFileSync(join(fixture, 'model.safetensors'))));
    assert.ok(readFileSync(join(pulled, 'onnx', 'model.onnx')).length > 100_000);
    // The pulled folder is an exported one: pushing it again needs no export.
    assert.match(reg(['push', pulled, '--name', 'bert', ...R]), /^pushed bert@1\.0\.1 from an exported folder\n/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
