// `lengua monitor reference` on a real exported model (ONNX Runtime) against the same pipeline run here;
// `lengua monitor` against a real HTTP server (a child process, since runCli blocks this one) serving the
// snapshot of a real ModelMonitor; --watch, the key from the environment and refusals in-process.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AddressInfo } from 'node:net';
import { exportToOnnx } from '../export/index.js';
import { pipeline } from '../infer/index.js';
import { accuracyScore, f1Score } from '../metrics/index.js';
import { LenguaError } from '../errors.js';
import { ModelMonitor, monitoringSnapshot, readReference, ReferenceBuilder, tokenCounts, type MonitoringSnapshot } from '../serve/monitoring.js';
import { golden, skipWithoutGolden as skip } from '../testing/golden.js';
import { REPO, runCli } from './testing.js';
import { bar, checkSnapshot, renderModel, runView } from './monitor.js';

const root = mkdtempSync(join(tmpdir(), 'lengua-cli-monitor-'));
let exported = '';
let server: ChildProcess | undefined;
let url = '';
const KEY = 'test-key-0123456789';

// Texts the fixture's vocabulary mostly knows, some with characters it does not ([UNK]).
const ROWS: Array<[string, string]> = [];
const WORDS = ['good', 'bad', 'movie', 'the', 'was', 'great', 'awful', 'fine', 'I', 'it', 'not', 'very', 'day', 'food', 'service'];
for (let i = 0; i < 60; i++) {
  const n = 1 + ((i * 7) % 13);
  const words = Array.from({ length: n }, (_, k) => WORDS[(i * 3 + k * 5) % WORDS.length]!);
  if (i % 6 === 0) words.push('你好');
  if (i % 9 === 0) words.push('αβγ');
  ROWS.push([words.join(' '), ['negative', 'neutral', 'positive'][i % 3]!]);
}
const csv = (rows: Array<[string, string]>): string => 'text,label\n' + rows.map(([t, l]) => `"${t}",${l}`).join('\n') + '\n';

/** The child server: a real ModelMonitor (a synthetic reference, then shifted predictions and feedback) behind GET /monitoring with a Bearer key. */
const SERVER = `
import { createServer } from 'node:http';
const { ModelMonitor, ReferenceBuilder, monitoringSnapshot } = await import(process.env.MONITORING_MODULE);
const labels = ['negative', 'neutral', 'positive'];
let seed = 3;
const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
const obs = (p, shift) => { const u = rnd(); const i = u < p[0] ? 0 : u < p[0] + p[1] ? 1 : 2; const t = 5 + Math.floor(rnd() * 40 * (1 + shift));
  return { label: labels[i], score: Math.min(1, 0.4 + rnd() * 0.6 - shift * 0.3 * rnd()), inputTokens: t, unknownTokens: rnd() < 0.05 + shift ? 2 : 0 }; };
const b = new ReferenceBuilder(labels);
for (let i = 0; i < 3000; i++) b.add(obs([0.3, 0.3, 0.4], 0));
const reference = b.finish({ file: 'train.csv', sha256: 'c0ffee'.repeat(10) + 'abcd', textsFingerprint: '0123456789abcdef', rows: 3000 }, { accuracy: 0.9, macroF1: 0.88, count: 3000 }, new Date('2024-05-01T00:00:00Z'));
const now = () => Date.parse('2024-06-01T12:00:00Z');
const drifting = new ModelMonitor({ model: 'sentiment', version: '3', labels, reference, window: 1000, now });
for (let i = 0; i < 1500; i++) drifting.observe(obs([0.7, 0.1, 0.2], 0.8));
drifting.recordPrediction('r1', ['negative', 'positive']);
drifting.feedback({ requestId: 'r1', index: 0 }, 'negative');
drifting.feedback({ requestId: 'r1', index: 1 }, 'positive');
drifting.feedback({ predicted: 'negative' }, 'neutral');
drifting.feedback({ predicted: 'neutral' }, 'neutral');
drifting.feedback('gone', 'neutral');
const plain = new ModelMonitor({ model: 'evil\\u001b[31mname', version: '1', labels, now });
const body = JSON.stringify(monitoringSnapshot([drifting, plain], new Date(now())));
const server = createServer((req, res) => {
  if (req.url !== '/monitoring') { res.writeHead(404).end(); return; }
  if (req.headers.authorization !== 'Bearer ' + process.env.KEY) {
    res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid API key', error_type: 'unauthorized' }));
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(body);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
`;

before(async () => {
  server = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SERVER], {
    cwd: REPO,
    env: { ...process.env, KEY, MONITORING_MODULE: pathToFileURL(join(REPO, 'src/serve/monitoring.ts')).href },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<string>((resolve, reject) => {
    let out = '';
    server!.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    server!.once('exit', (code) => reject(new Error(`the test server exited with ${code}`)));
  });
  url = `http://127.0.0.1:${port}`;
  if (skip === false) {
    exported = join(root, 'cls');
    await exportToOnnx(golden('fixtures', 'bert-synth-seqcls'), exported, { threads: 1 });
  }
});

after(() => {
  server?.kill();
  rmSync(root, { recursive: true, force: true });
});

test('monitor reference writes DIR/monitoring/reference.json: the counts of the ONNX pipeline run here on the same texts', { skip }, async () => {
  const data = join(root, 'data.csv');
  writeFileSync(data, csv(ROWS));
  const r = runCli(['monitor', 'reference', '--model', exported, '--data', data]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^wrote .*monitoring\/reference\.json: 60 texts of data\.csv/);
  assert.match(r.stdout, /quality: +accuracy \d\.\d{4}, macro-F1/);
  const ref = readReference(join(exported, 'monitoring', 'reference.json'));
  const clf = await pipeline('text-classification', exported, { numThreads: 1 });
  try {
    const out = await clf(ROWS.map(([t]) => t));
    const b = new ReferenceBuilder(['negative', 'neutral', 'positive']);
    ROWS.forEach(([t], i) => b.add({ label: out[i]![0]!.label, score: out[i]![0]!.score, ...tokenCounts(clf.tokenizer, t) }));
    const expected = b.finish(ref.data, null, new Date(ref.createdAt));
    assert.deepEqual(ref.labels, expected.labels);
    assert.deepEqual(ref.confidence, expected.confidence);
    assert.deepEqual(ref.inputTokens, expected.inputTokens);
    assert.deepEqual(ref.unknownRate, expected.unknownRate);
    assert.deepEqual(ref.tokens, expected.tokens);
    assert.ok(ref.tokens.unknown > 0, 'the CJK and Greek words are unknown to the fixture');
    assert.equal(ref.tokens.unknown, ROWS.reduce((s, [t]) => s + clf.tokenizer.encode(t).ids.filter((id) => id === clf.tokenizer.unkTokenId).length, 0));
    const truth = ROWS.map(([, l]) => l);
    const pred = out.map((o) => o[0]!.label);
    assert.deepEqual(ref.quality, { accuracy: accuracyScore(truth, pred), macroF1: f1Score(truth, pred, { average: 'macro', zeroDivision: 0 }), count: 60 });
    assert.equal(ref.data.file, 'data.csv');
    assert.equal(ref.data.rows, 60);
  } finally {
    await clf.dispose();
  }
  // The same texts shuffled, as JSON Lines and unlabelled: same texts fingerprint, another file hash, no quality.
  const jsonl = join(root, 'shuffled.jsonl');
  writeFileSync(jsonl, [...ROWS].reverse().map(([t]) => JSON.stringify({ text: t })).join('\n') + '\n');
  const out2 = join(root, 'ref2.json');
  const r2 = runCli(['monitor', 'reference', '--model', exported, '--data', jsonl, '--out', out2, '--json']);
  assert.equal(r2.status, 0, r2.stderr);
  assert.match(r2.stderr, /no reference accuracy: the data has no labels/);
  const ref2 = readReference(out2);
  assert.deepEqual(JSON.parse(r2.stdout), ref2);
  assert.equal(ref2.data.textsFingerprint, ref.data.textsFingerprint);
  assert.notEqual(ref2.data.sha256, ref.data.sha256);
  assert.equal(ref2.quality, null);
  assert.deepEqual(ref2.labels.counts, ref.labels.counts);
});

test('monitor reference refuses labels the model lacks (for the accuracy only), empty data, and a Hub id without --out', { skip }, () => {
  const odd = join(root, 'odd.csv');
  writeFileSync(odd, csv([['good movie', 'positive'], ['bad', 'angry']]));
  const r = runCli(['monitor', 'reference', '--model', exported, '--data', odd, '--out', join(root, 'odd.json')]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /no reference accuracy: label "angry" \(.*odd\.csv:3\) is not one of the model's/);
  const empty = join(root, 'empty.csv');
  writeFileSync(empty, 'text,label\n');
  const e = runCli(['monitor', 'reference', '--model', exported, '--data', empty, '--out', join(root, 'empty.json')]);
  assert.equal(e.status, 1);
  assert.match(e.stderr, /no texts/);
  const hub = runCli(['monitor', 'reference', '--model', 'org/some-model', '--data', empty]);
  assert.equal(hub.status, 1);
  assert.match(hub.stderr, /not a local folder.*--out FILE/);
});

/** The display column where `needle` starts on each line that has it (code points, as a terminal counts). */
function columns(text: string, re: RegExp): number[] {
  return text.split('\n').filter((l) => re.test(l)).map((l) => [...l.slice(0, l.search(re))].length);
}

test('lengua monitor draws each distribution live against its reference, with PSI, verdict and live accuracy', async () => {
  const snap = (await (await fetch(`${url}/monitoring`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as MonitoringSnapshot;
  const r = runCli(['monitor', '--url', url, '--key', KEY, '--model', 'sentiment']);
  assert.equal(r.status, 0, r.stderr);
  const out = r.stdout;
  const m = snap.models[0]!;
  assert.match(out, /━━ sentiment · version 3 ━+/);
  assert.match(out, /drift +SIGNIFICANT \(labels, confidence, inputTokens, unknownRate\)/);
  assert.match(out, /window +1,000 of 1,000 predictions; 1,500 since 2024-06-01 12:00:00 UTC/);
  assert.match(out, /reference +train\.csv, 3,000 texts, sha256 c0ffeec0ffee…, made 2024-05-01 00:00:00 UTC/);
  for (const d of m.distributions) {
    assert.ok(out.includes(`${d.title}: SIGNIFICANT, PSI ${d.psi!.toFixed(3)} (noise ~${d.noise!.toFixed(3)})`), `${d.name} PSI ${d.psi}`);
  }
  // The label rows: reference and live shares as bars, the percentages aligned in two columns.
  const labels = m.distributions[0]!;
  const refN = labels.reference!.reduce((a, b) => a + b, 0);
  for (const [i, l] of labels.bins.entries()) {
    const row = out.split('\n').find((x) => x.startsWith(`    ${l} `))!;
    assert.ok(row.includes(`${((labels.reference![i]! / refN) * 100).toFixed(1)}%`) && row.includes(`${((labels.live[i]! / 1000) * 100).toFixed(1)}%`), row);
    assert.match(row, /█/);
  }
  const pcts = columns(out, /\s\d{1,3}\.\d%\s+\S*\s+\d{1,3}\.\d%$/);
  assert.ok(pcts.length >= 3 && new Set(pcts).size <= 4, `percent columns line up: ${pcts}`);
  assert.match(out, /live quality +accuracy 0\.750 {2}macro-F1 0\.\d{3} {2}over the last 4 feedback labels \(window 10,000\)/);
  assert.match(out, /on the reference accuracy 0\.900 {2}macro-F1 0\.880 {2}\(3,000 labelled texts\)/);
  assert.match(out, /feedback +4 paired, 1 unknown or expired request, 0 duplicate, 0 invalid/);
  assert.ok(!out.includes('\x1b'), 'no colours when stdout is not a terminal');
  // Both models; the control characters of a hostile model name do not reach the terminal.
  const all = runCli(['monitor', '--url', url + '/', '--key', KEY]);
  assert.equal(all.status, 0, all.stderr);
  assert.ok(!all.stdout.includes('\x1b'));
  assert.match(all.stdout, /━━ evil\?\[31mname · version 1/);
  assert.match(all.stdout, /drift +no reference/);
  assert.match(all.stdout, /live quality +no feedback yet/);
  // --json passes the snapshot through.
  const j = runCli(['monitor', '--url', url, '--key', KEY, '--json']);
  assert.equal(j.status, 0, j.stderr);
  assert.deepEqual(JSON.parse(j.stdout), snap);
});

test('lengua monitor refusals: a wrong key (never echoed), an unknown model, no server', () => {
  const bad = runCli(['monitor', '--url', url, '--key', 'wrong-key-987']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /answered 401: invalid API key \(give an API key/);
  assert.ok(!bad.stderr.includes('wrong-key-987') && !bad.stdout.includes('wrong-key-987'));
  const none = runCli(['monitor', '--url', url, '--key', KEY, '--model', 'nope']);
  assert.equal(none.status, 1);
  assert.match(none.stderr, /monitors no model named "nope" \(it monitors: sentiment, evil\?\[31mname\)/);
  const down = runCli(['monitor', '--url', 'http://127.0.0.1:1']);
  assert.equal(down.status, 1);
  assert.match(down.stderr, /cannot reach http:\/\/127\.0\.0\.1:1/);
  const noUrl = runCli(['monitor']);
  assert.equal(noUrl.status, 1);
  assert.match(noUrl.stderr, /--url http:\/\/HOST:PORT/);
  assert.match(runCli(['monitor', '--url', 'ftp://x']).stderr, /expected an http or https URL/);
  assert.match(runCli(['monitor', '--url', 'http://u:p@127.0.0.1:5']).stderr, /not in the URL/);
});

test('--watch redraws from a live server, keeps going when it is down, and takes the key from LENGUA_API_KEY', async () => {
  const monitor = new ModelMonitor({ model: 'm', version: '1', labels: ['a', 'b'] });
  let up = true;
  let seen = '';
  const http: Server = createServer((req, res) => {
    seen = req.headers.authorization ?? '';
    if (!up) {
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"restarting"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(monitoringSnapshot([monitor])));
    monitor.observe({ label: 'b', score: 0.8, inputTokens: 12, unknownTokens: 0 });
    up = monitor.windowCount < 2;
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  try {
    const frames: string[] = [];
    const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    await runView({ url: base, watch: '0.1', barWidth: '10' }, { write: (s) => frames.push(s), rounds: 4, tty: true, env: { LENGUA_API_KEY: 'env-key' } });
    assert.equal(seen, 'Bearer env-key');
    assert.equal(frames.length, 4);
    assert.ok(frames.every((f) => f.startsWith('\x1b[H\x1b[2J')), 'a terminal is cleared between frames');
    assert.match(frames[0]!, /window +0 of 10,000 predictions/);
    assert.match(frames[1]!, /window +1 of 10,000 predictions/);
    assert.match(frames[2]!, /answered 503: restarting; trying again in 0\.1 s/);
    assert.ok(frames[1]!.includes('\x1b[2mno reference\x1b[0m'), 'verdicts coloured on a terminal');
    up = true;
    const plain: string[] = [];
    await runView({ url: base, barWidth: '10' }, { write: (s) => plain.push(s), tty: true, env: { NO_COLOR: '1' } });
    assert.ok(!plain[0]!.includes('\x1b'));
    await assert.rejects(runView({ url: base, watch: 'often', barWidth: '10' }, { write: () => undefined, rounds: 1 }), (e: unknown) => e instanceof LenguaError && e.field === '--watch');
  } finally {
    await new Promise((r) => http.close(r));
  }
});

test('bars in eighths of a cell; a snapshot of another shape is refused naming the field; many labels are cut to the largest', () => {
  assert.equal(bar(1, 1, 4), '████');
  assert.equal(bar(0.5, 1, 4), '██  ');
  assert.equal(bar(1 / 32, 1, 4), '▏   ');
  assert.equal(bar(0.0001, 1, 4), '▏   ', 'a share above 0 always shows');
  assert.equal(bar(0, 1, 4), '    ');
  const field = (j: unknown): string | undefined => {
    try {
      checkSnapshot(j, 'x');
    } catch (e) {
      assert.ok(e instanceof LenguaError);
      return e.field;
    }
    return undefined;
  };
  const good = JSON.parse(JSON.stringify(monitoringSnapshot([new ModelMonitor({ model: 'm', version: '1', labels: ['a'] })]))) as MonitoringSnapshot;
  assert.equal(field(good), undefined);
  assert.equal(field({ ...good, format: 'x' }), 'format');
  assert.equal(field({ ...good, models: {} }), 'models');
  const short = JSON.parse(JSON.stringify(good)) as MonitoringSnapshot;
  short.models[0]!.distributions[1]!.live.pop();
  assert.equal(field(short), 'models[0].distributions[1]');
  const odd = JSON.parse(JSON.stringify(good)) as MonitoringSnapshot;
  (odd.models[0]!.distributions[0] as unknown as Record<string, unknown>).psi = '0.3';
  assert.equal(field(odd), 'models[0].distributions[0].psi');
  const odd2 = JSON.parse(JSON.stringify(good)) as MonitoringSnapshot;
  (odd2.models[0]!.window as unknown as Record<string, unknown>).count = null;
  assert.equal(field(odd2), 'models[0].window.count');
  const many = Array.from({ length: 40 }, (_, i) => `L${i}`);
  const m = new ModelMonitor({ model: 'm', version: '1', labels: many });
  for (let i = 0; i < 40; i++) for (let k = 0; k <= i; k++) m.observe({ label: `L${i}`, score: 0.5, inputTokens: 3, unknownTokens: 0 });
  const text = renderModel(m.snapshot());
  assert.match(text, /… 15 more labels/);
  assert.ok(text.includes('    L39 ') && !text.includes('    L0 '));
});
