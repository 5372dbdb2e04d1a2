import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LenguaError } from '../errors.js';
import { Registry, materialize, resolveRef, stageVersion, type AuditEvent } from './index.js';
import { exportedFolder, trainingFolder, DATA_SHA, TEST_SHA } from './testing/folders.js';

function tmp(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Every file under `dir` (relative paths), hidden ones too. */
function tree(dir: string, rel = ''): string[] {
  return readdirSync(join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const p = rel === '' ? e.name : `${rel}/${e.name}`;
    return e.isDirectory() ? tree(dir, p) : [p];
  }).sort();
}

function blobFile(root: string, sha: string): string {
  return join(root, 'blobs', 'sha256', sha.slice(0, 2), sha);
}

test('versions: 1.0.0 first, then the next patch after the highest in semver order (not string order); an existing version is refused', async () => {
  const root = tmp('lengua-reg-');
  try {
    const src = exportedFolder(join(root, 'src'));
    const reg = await Registry.open({ root: join(root, 'reg') });
    assert.equal((await reg.push(src, { name: 'm' })).version, '1.0.0');
    for (const v of ['1.0.9', '1.0.10', '1.2.0-rc.1', '1.0.2']) await reg.push(src, { name: 'm', version: v });
    assert.deepEqual(await reg.versions('m'), ['1.0.0', '1.0.2', '1.0.9', '1.0.10', '1.2.0-rc.1']);
    // The highest is 1.2.0-rc.1; its next patch is the release 1.2.0.
    assert.equal((await reg.push(src, { name: 'm' })).version, '1.2.0');
    assert.equal((await reg.push(src, { name: 'm' })).version, '1.2.1');
    await assert.rejects(reg.push(src, { name: 'm', version: '1.0.10' }), /m@1\.0\.10 already exists; a version is never replaced/);
    await assert.rejects(reg.push(src, { name: 'm', version: 'v1.0' }), /must be semver/);
    await assert.rejects(reg.push(src, { name: 'm', version: '1.0.0+build' }), /\+build metadata is not/);
    await assert.rejects(reg.push(src, { name: '../etc', version: '3.0.0' }), /model name/);
    // Identical files are stored once: seven versions of the same folder, one blob per distinct content (+ the cards).
    const blobs = tree(join(root, 'reg', 'blobs'));
    assert.equal(blobs.length, 3 + 7, blobs.join('\n'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a training folder: the manifest holds config, training args and state, metrics, evaluations and data fingerprints; checkpoints and evaluation texts stay out', async () => {
  const root = tmp('lengua-reg-');
  try {
    const src = trainingFolder(join(root, 'run'));
    const data = join(root, 'train.csv');
    writeFileSync(data, 'text,label\nhola,positive\n');
    const reg = await Registry.open({ root: join(root, 'reg') });
    const r = await reg.push(src, { name: 'clf', notes: 'first <b>model</b>\nsecond line', export: false, dataFiles: [data] });
    const m = r.manifest;
    assert.equal(m.source.kind, 'training');
    assert.equal(m.source.exportedOnPush, false);
    assert.deepEqual(m.model, { modelType: 'bert', architecture: 'BertForSequenceClassification', task: 'text-classification', labels: ['negative', 'neutral', 'positive'] });
    assert.deepEqual(m.files.map((f) => f.path), [
      'README.md', 'README.source.md', 'all_results.json', 'config.json', 'eval-validation/metrics.json', 'evaluations.json', 'log.jsonl',
      'model.safetensors', 'tokenizer.json', 'trainer_state.json', 'training_args.json',
    ]);
    assert.deepEqual(r.skipped.map((s) => s.path).sort(), ['checkpoint-2/', 'eval-validation/predictions.jsonl', 'eval-validation/report.html']);
    assert.equal((m.training.args as Record<string, unknown>).learning_rate, 5e-5);
    assert.deepEqual(m.training.state, { global_step: 24, epoch: 3, best_metric: 0.61, best_model_checkpoint: null });
    assert.equal((m.training.config as Record<string, unknown>).model_type, 'bert');
    assert.deepEqual(m.metrics.training, { train_loss: 0.9876, eval_accuracy: 0.625, epoch: 3 });
    assert.deepEqual(m.metrics.evaluations.map((e) => [e.split, e.n, e.metrics.accuracy]), [['validation', 96, 0.625], ['test', 120, 0.6]]);
    assert.deepEqual(m.data.map((d) => [d.role, d.split, d.sha256]), [
      ['evaluation', 'validation', DATA_SHA],
      ['evaluation', 'test', TEST_SHA],
      ['given at push', undefined, createHash('sha256').update(readFileSync(data)).digest('hex')],
    ]);
    assert.deepEqual(m.onnx, []);

    // The model card: model, task, labels, metrics, data, files, version and notes (escaped).
    const card = (await reg.readFile(m, 'README.md')).toString('utf8');
    assert.match(card, /^---\ntags:\n {2}- lengua\n {2}- onnx\npipeline_tag: text-classification\n---\n<!-- lengua-registry model card/);
    assert.match(card, /^# clf 1\.0\.0$/m);
    assert.match(card, /first &lt;b&gt;model&lt;\/b&gt; {2}\nsecond line/);
    assert.match(card, /Type: bert, BertForSequenceClassification/);
    assert.match(card, /Task: text-classification/);
    assert.match(card, /Labels \(3, in id order\): 0 negative, 1 neutral, 2 positive/);
    assert.match(card, /\| validation \| 96 \| 0\.6250 \| 0\.5812 \| 0\.9000 \| `aaaaaaaaaaaaaaaa…` \|/);
    assert.match(card, /\| train\\_loss \| 0\.9876 \|/);
    assert.match(card, new RegExp(`\\| evaluation \\| test \\| /data/test\\.csv \\| \`${TEST_SHA}\` \\| 120 \\|`));
    assert.match(card, /\| given at push \| — \| .*train\.csv \|/);
    assert.match(card, /learning_rate 0\.00005, num_train_epochs 3/);
    for (const f of m.files.filter((x) => x.path !== 'README.md')) assert.ok(card.includes(`| \`${f.sha256}\` |`), `card lists ${f.path}`);
    assert.ok(!card.includes('a private tweet'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('pull gives back every pushed file byte for byte, plus the card; a pulled folder pushed again gets a fresh card, not its old one as README.source.md', async () => {
  const root = tmp('lengua-reg-');
  try {
    const src = trainingFolder(join(root, 'run'));
    const reg = await Registry.open({ root: join(root, 'reg') });
    await reg.push(src, { name: 'clf', export: false });
    const out = join(root, 'pulled');
    const p = await reg.pull('clf@1.0.0', out);
    assert.equal(p.files, 11);
    for (const f of ['config.json', 'model.safetensors', 'training_args.json', 'eval-validation/metrics.json', 'log.jsonl']) {
      assert.ok(readFileSync(join(out, f)).equals(readFileSync(join(src, f))), f);
    }
    assert.ok(readFileSync(join(out, 'README.source.md')).equals(readFileSync(join(src, 'README.md'))));
    assert.ok(!tree(root).some((f) => f.includes('.pull-')), 'no temporary folder left');
    // Into a non-empty folder: refused, nothing written.
    await assert.rejects(reg.pull('clf@1.0.0', src), /is not empty/);
    const again = await reg.push(out, { name: 'clf', export: false });
    assert.deepEqual(again.manifest.files.map((f) => f.path), (await reg.manifest('clf', '1.0.0')).files.map((f) => f.path));
    assert.ok(again.skipped.some((s) => s.path === 'README.md' && /model card of this registry/.test(s.why)));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('promote and rollback: production history, rollback twice, rollback without history is refused and says what it does; audit events; stageVersion', async () => {
  const root = tmp('lengua-reg-');
  try {
    const src = exportedFolder(join(root, 'src'));
    const reg = await Registry.open({ root: join(root, 'reg') });
    for (let i = 0; i < 3; i++) await reg.push(src, { name: 'm' });
    const events: AuditEvent[] = [];
    const audit = (e: AuditEvent): void => void events.push(e);
    await assert.rejects(reg.rollback('m'), /m has no production version, so there is nothing to roll back/);
    await assert.rejects(reg.promote('m', '9.9.9', 'production'), /m has no version 9\.9\.9 \(versions: 1\.0\.0, 1\.0\.1, 1\.0\.2\)/);
    assert.deepEqual(await reg.promote('m', '1.0.0', 'production', { audit }), { previous: null, changed: true });
    await assert.rejects(reg.rollback('m'), /m@production is 1\.0\.0 and has no earlier version to go back to \(rollback returns production to the version it pointed to before the last promote/);
    await reg.promote('m', '1.0.1', 'production', { audit });
    await reg.promote('m', '1.0.2', 'production', { audit });
    assert.deepEqual(await reg.promote('m', '1.0.2', 'production', { audit }), { previous: '1.0.2', changed: false });
    await reg.promote('m', '1.0.2', 'staging', { audit });
    assert.equal(await stageVersion(reg, 'm', 'production'), '1.0.2');
    assert.deepEqual(await reg.rollback('m', { audit }), { from: '1.0.2', to: '1.0.1' });
    assert.deepEqual(await reg.rollback('m', { audit }), { from: '1.0.1', to: '1.0.0' });
    await assert.rejects(reg.rollback('m'), /no earlier version/);
    assert.equal(await reg.stageVersion('m', 'production'), '1.0.0');
    assert.equal(await reg.stageVersion('m', 'staging'), '1.0.2', 'staging is its own pointer');
    const state = await reg.stage('m', 'production');
    assert.deepEqual(state?.log.map((e) => `${e.action} ${e.from ?? '-'}→${e.version}`), ['promote -→1.0.0', 'promote 1.0.0→1.0.1', 'promote 1.0.1→1.0.2', 'rollback 1.0.2→1.0.1', 'rollback 1.0.1→1.0.0']);
    assert.deepEqual(events, [
      { action: 'promote', name: 'm', version: '1.0.0', stage: 'production' },
      { action: 'promote', name: 'm', version: '1.0.1', stage: 'production' },
      { action: 'promote', name: 'm', version: '1.0.2', stage: 'production' },
      { action: 'promote', name: 'm', version: '1.0.2', stage: 'staging' },
      { action: 'rollback', name: 'm', version: '1.0.1', stage: 'production' },
      { action: 'rollback', name: 'm', version: '1.0.0', stage: 'production' },
    ]);
    const pushed: AuditEvent[] = [];
    await reg.push(src, { name: 'm', audit: (e) => void pushed.push(e) });
    assert.deepEqual(pushed, [{ action: 'push', name: 'm', version: '1.0.3' }]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('resolveRef: NAME is production (else the highest), NAME@VERSION, @staging, @production, @latest; unknown names and unset stages are clear errors', async () => {
  const root = tmp('lengua-reg-');
  try {
    const src = exportedFolder(join(root, 'src'));
    const reg = await Registry.open({ root: join(root, 'reg') });
    await assert.rejects(resolveRef(reg, 'm'), /no model "m" in the registry .* \(the registry is empty\)/);
    await reg.push(src, { name: 'm' });
    await reg.push(src, { name: 'm' });
    assert.deepEqual(pick(await resolveRef(reg, 'm')), ['1.0.1', 'latest']);
    await assert.rejects(resolveRef(reg, 'm@staging'), /m has no staging version yet \(versions: 1\.0\.0, 1\.0\.1\); promote one/);
    await reg.promote('m', '1.0.0', 'production');
    assert.deepEqual(pick(await resolveRef(reg, 'm')), ['1.0.0', 'production']);
    assert.deepEqual(pick(await resolveRef(reg, 'm@latest')), ['1.0.1', 'latest']);
    assert.deepEqual(pick(await resolveRef(reg, 'm@1.0.1')), ['1.0.1', 'version']);
    assert.deepEqual(pick(await resolveRef(reg, 'm@production')), ['1.0.0', 'production']);
    await assert.rejects(resolveRef(reg, 'n@1.0.0'), /no model "n" in the registry .* \(models: m\)/);
    await assert.rejects(resolveRef(reg, 'm@2.0.0'), /m has no version 2\.0\.0/);
    await assert.rejects(resolveRef(reg, 'm@prod'), /version "prod" must be semver/);
    const r = await resolveRef(reg, 'm');
    assert.equal(r.registry, reg);
    assert.ok(!('registry' in JSON.parse(JSON.stringify(r))), 'the registry is not serialized with the ref');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

function pick(r: { version: string; via: string }): [string, string] {
  return [r.version, r.via];
}

test('materialize: built once (atomically, no temporary left), reused while intact; a changed or added file in the cache is rebuilt, not served', async () => {
  const root = tmp('lengua-reg-');
  try {
    const src = exportedFolder(join(root, 'src'));
    const reg = await Registry.open({ root: join(root, 'reg') });
    await reg.push(src, { name: 'm' });
    const cache = join(root, 'cache');
    const ref = await reg.resolveRef('m@1.0.0');
    const a = await materialize(ref, cache);
    assert.equal(a.reused, false);
    assert.ok(readFileSync(join(a.dir, 'onnx', 'model.onnx')).equals(readFileSync(join(src, 'onnx', 'model.onnx'))));
    assert.deepEqual(readdirSync(cache), [a.dir.slice(cache.length + 1)]);
    const b = await reg.materialize('m@1.0.0', { cacheDir: cache });
    assert.deepEqual([b.dir, b.reused], [a.dir, true]);
    // Same size, other bytes: found by the re-hash.
    const onnx = join(a.dir, 'onnx', 'model.onnx');
    writeFileSync(onnx, randomBytes(readFileSync(onnx).length));
    assert.equal((await reg.materialize('m@1.0.0', { cacheDir: cache, rehash: false })).reused, true, 'sizes only: not seen');
    const c = await reg.materialize('m@1.0.0', { cacheDir: cache });
    assert.equal(c.reused, false);
    assert.ok(readFileSync(onnx).equals(readFileSync(join(src, 'onnx', 'model.onnx'))));
    // An extra file (it would be served as the int8 model) makes the folder not the version.
    writeFileSync(join(a.dir, 'onnx', 'model_quantized.onnx'), 'x');
    assert.equal((await reg.materialize('m@1.0.0', { cacheDir: cache })).reused, false);
    assert.ok(!existsSync(join(a.dir, 'onnx', 'model_quantized.onnx')));
    assert.deepEqual(readdirSync(cache), [a.dir.slice(cache.length + 1)], 'no temporary or old folder left');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('verify: a corrupted blob is reported for every version that uses it, with the file and path; missing blobs, orphans, a manifest edited by hand', async () => {
  const root = tmp('lengua-reg-');
  try {
    const src = exportedFolder(join(root, 'src'));
    const reg = await Registry.open({ root: join(root, 'reg') });
    await reg.push(src, { name: 'm' });
    await reg.push(src, { name: 'm' });
    const clean = await reg.verify();
    assert.deepEqual([clean.versions, clean.blobs, clean.problems, clean.orphans], [2, 5, [], []]);
    const m = await reg.manifest('m', '1.0.0');
    const onnx = m.files.find((f) => f.path === 'onnx/model.onnx')!;
    const file = blobFile(join(root, 'reg'), onnx.sha256);
    const bytes = readFileSync(file);
    bytes[10] = bytes[10]! ^ 1;
    writeFileSync(file, bytes);
    const r = await reg.verify();
    assert.deepEqual(r.problems.map((p) => [p.kind, p.name, p.version, p.path, p.file]), [
      ['corrupted', 'm', '1.0.0', 'onnx/model.onnx', file],
      ['corrupted', 'm', '1.0.1', 'onnx/model.onnx', file],
    ]);
    assert.match(r.problems[0]!.message, /^m@1\.0\.0 onnx\/model\.onnx: corrupted or tampered: its blob holds sha256 [0-9a-f]{64} where [0-9a-f]{64} was recorded$/);
    assert.equal((await reg.verify('m@1.0.1')).problems.length, 1);
    // Pull and materialize refuse it too, naming the file.
    await assert.rejects(reg.pull('m@1.0.0', join(root, 'out')), (err: Error) => err instanceof LenguaError && err.message.startsWith(`${file}: m@1.0.0 onnx/model.onnx: corrupted`));
    assert.ok(!existsSync(join(root, 'out')));
    rmSync(file);
    assert.deepEqual((await reg.verify()).problems.map((p) => p.kind), ['missing', 'missing']);
    // An orphan (a killed push leaves such blobs): reported, not a problem.
    mkdirSync(join(root, 'reg', 'blobs', 'sha256', 'cc'), { recursive: true });
    writeFileSync(blobFile(join(root, 'reg'), 'c'.repeat(64)), 'x');
    assert.equal((await reg.verify()).orphans.length, 1);
    // A manifest edited by hand so that its path escapes the folder is refused before any file is written.
    const mf = join(root, 'reg', 'models', 'm', 'versions', '1.0.1.json');
    const json = JSON.parse(readFileSync(mf, 'utf8')) as { files: Array<{ path: string }> };
    json.files[0]!.path = '../../evil';
    writeFileSync(mf, JSON.stringify(json));
    await assert.rejects(reg.pull('m@1.0.1', join(root, 'out2')), /not a valid manifest: unsafe or invalid path "\.\.\/\.\.\/evil"/);
    assert.deepEqual((await reg.verify()).problems.filter((p) => p.kind === 'manifest').map((p) => p.version), ['1.0.1']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('encrypted: blobs are AES-GCM ciphertext on disk, read back intact; a changed byte, a swapped blob or an edited manifest is refused; wrong key and no key are refused', async () => {
  const root = tmp('lengua-reg-');
  try {
    const src = exportedFolder(join(root, 'src'));
    const key = randomBytes(32);
    const reg = await Registry.open({ root: join(root, 'reg'), key });
    assert.equal(reg.encrypted, true);
    await reg.push(src, { name: 'm' });
    const m = await reg.manifest('m', '1.0.0');
    const onnx = m.files.find((f) => f.path === 'onnx/model.onnx')!;
    const cfg = m.files.find((f) => f.path === 'config.json')!;
    const file = blobFile(join(root, 'reg'), onnx.sha256);
    const plain = readFileSync(join(src, 'onnx', 'model.onnx'));
    const stored = readFileSync(file);
    assert.equal(stored.length, plain.length + 32, 'magic + IV + tag');
    assert.ok(!stored.includes(plain.subarray(0, 64)), 'no plaintext on disk');
    assert.ok(!readFileSync(blobFile(join(root, 'reg'), cfg.sha256)).includes('BertForSequenceClassification'));
    await reg.pull('m@1.0.0', join(root, 'out'));
    assert.ok(readFileSync(join(root, 'out', 'onnx', 'model.onnx')).equals(plain));
    assert.deepEqual((await reg.verify()).problems, []);

    await assert.rejects(Registry.open({ root: join(root, 'reg'), key: randomBytes(32) }), /wrong key: the key given does not open this encrypted registry/);
    await assert.rejects(Registry.open({ root: join(root, 'reg') }), /the registry is encrypted: open it with its key/);

    // One flipped ciphertext byte: the tag fails.
    const bad = Buffer.from(stored);
    bad[40] = bad[40]! ^ 0x80;
    writeFileSync(file, bad);
    const r = await reg.verify();
    assert.deepEqual(r.problems.map((p) => [p.kind, p.path, p.file]), [['tampered', 'onnx/model.onnx', file]]);
    assert.match(r.problems[0]!.message, /AES-GCM authentication tag of its blob does not match/);
    await assert.rejects(reg.pull('m@1.0.0', join(root, 'out2')), /tampered or corrupted/);
    assert.ok(!existsSync(join(root, 'out2')));
    // Another valid blob of the registry copied over it: its tag is bound to its own address.
    writeFileSync(file, readFileSync(blobFile(join(root, 'reg'), cfg.sha256)));
    assert.equal((await reg.verify()).problems[0]?.kind, 'tampered');
    writeFileSync(file, stored);
    // An edited manifest fails its MAC.
    const mf = join(root, 'reg', 'models', 'm', 'versions', '1.0.0.json');
    const text = readFileSync(mf, 'utf8');
    writeFileSync(mf, text.replace('"negative"', '"NEGATIVE"'));
    await assert.rejects(reg.manifest('m', '1.0.0'), /its MAC does not match: the file was changed outside the registry/);
    writeFileSync(mf, text);
    // A stage file edited to point elsewhere fails too.
    await reg.push(src, { name: 'm' });
    await reg.promote('m', '1.0.0', 'production');
    const sf = join(root, 'reg', 'models', 'm', 'stages', 'production.json');
    writeFileSync(sf, readFileSync(sf, 'utf8').replace('"version": "1.0.0"', '"version": "1.0.1"'));
    await assert.rejects(reg.stageVersion('m', 'production'), /MAC does not match/);
    // A plain registry refuses a key rather than mixing plain and encrypted blobs.
    const plainReg = await Registry.open({ root: join(root, 'plain') });
    await plainReg.push(src, { name: 'm' });
    await assert.rejects(Registry.open({ root: join(root, 'plain'), key }), /the registry is not encrypted, but a key was given/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a file that changes between hashing and storing is not stored under the old address', async () => {
  const root = tmp('lengua-reg-');
  try {
    const src = exportedFolder(join(root, 'src'), 8 << 20);
    const reg = await Registry.open({ root: join(root, 'reg') });
    let changed = false;
    await assert.rejects(
      reg.push(src, {
        name: 'm',
        // The log line before storing a large file: the moment to change it.
        log: (l) => {
          if (!changed && l.startsWith('storing onnx/model.onnx')) {
            changed = true;
            writeFileSync(join(src, 'onnx', 'model.onnx'), randomBytes(8 << 20));
          }
        },
      }),
      /model\.onnx: changed while being pushed/,
    );
    assert.ok(changed);
    assert.deepEqual(await reg.versions('m'), []);
    assert.ok(!tree(join(root, 'reg')).some((f) => f.includes('.tmp')), 'no temporary blob left');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a folder that is no model is refused; a training folder without onnx/ and no exporter says what to do', async () => {
  const root = tmp('lengua-reg-');
  try {
    const reg = await Registry.open({ root: join(root, 'reg') });
    writeFileSync(join(root, 'notes.txt'), 'x');
    await assert.rejects(reg.push(root, { name: 'm' }), /not a model folder: no onnx\/\*\.onnx, no config\.json and no lengua-baseline\.json/);
    const run = trainingFolder(join(root, 'run'));
    await assert.rejects(reg.push(run, { name: 'm' }), /the training folder has no onnx\/ and no exporter is available: push it with export: false \(--no-export\)/);
    assert.deepEqual(await reg.versions('m'), []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('verify of one version checks the stage files against every version, not only the one in scope', async () => {
  const root = tmp('lengua-reg-');
  try {
    const src = exportedFolder(join(root, 'src'));
    const reg = await Registry.open({ root: join(root, 'reg') });
    await reg.push(src, { name: 'm' });
    await reg.push(src, { name: 'm' });
    await reg.promote('m', '1.0.1', 'staging');
    assert.deepEqual((await reg.verify('m@1.0.0')).problems, []);
    rmSync(join(root, 'reg', 'models', 'm', 'versions', '1.0.1.json'));
    assert.deepEqual((await reg.verify('m@1.0.0')).problems.map((p) => p.message), ['m@staging points to 1.0.1, which has no manifest']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
