// `lengua evaluate` on encoder-decoders, run as a user runs it (child processes): a small T5 with a tokenizer
// trained here learns six sentence pairs (`lengua train --task translation`), is exported, and is evaluated on
// libtorch and on ONNX Runtime. The written scores are the corpus metrics of the written predictions and the
// training run's own final evaluation, both engines give the same texts, a test split is evaluated once, and
// the report escapes what it shows.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliAsync } from './testing.js';
import { TINY_PAIRS, tinyTranslationSetup } from '../train/testing/seq2seq.js';
import { corpusBleu, corpusChrf, rouge, rougeScoreMulti, sentenceBleu, sentenceChrf, toReferenceStreams } from '../metrics/index.js';

const root = mkdtempSync(join(tmpdir(), 'lengua-cli-eval-s2s-'));
after(() => rmSync(root, { recursive: true, force: true }));

const lengua = (argv: string[]): Promise<{ code: number; out: string; err: string }> => runCliAsync(argv, { LENGUA_NUM_THREADS: '1' });

interface Row {
  split: string;
  line: number;
  source: string;
  prediction: string;
  references: string[];
  scores: Record<string, number>;
  gen_len: number;
}
interface Summary {
  task: string;
  split: string;
  n: number;
  engine: string;
  dataSha256: string;
  metrics: Record<string, number>;
  generation: Record<string, unknown>;
  out: string;
}

const rows = (dir: string): Row[] => readFileSync(join(dir, 'predictions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Row);
const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

const trained = join(root, 'mt');
const exported = join(root, 'mt-onnx');
const validation = join(root, 'validation.jsonl');
const summaries = join(root, 'summaries_dev.jsonl');
// A source and a reference with markup, which the report must show as text.
const MARKUP = { source: 'the cat sleeps on the <b>sofa</b> & more', target: 'el gato duerme en el <b>sofá</b>' };

before(async () => {
  const { tokenizer, model } = await tinyTranslationSetup(root);
  const modelDir = join(root, 't5');
  await model.savePretrained(modelDir, { tokenizer });
  const pairs = join(root, 'pairs.jsonl');
  writeFileSync(pairs, TINY_PAIRS.map((p) => JSON.stringify({ translation: { en: p.source, es: p.target } })).join('\n') + '\n');
  writeFileSync(validation, [...TINY_PAIRS, MARKUP].map((p) => JSON.stringify({ translation: { en: p.source, es: p.target } })).join('\n') + '\n');
  writeFileSync(summaries, TINY_PAIRS.map((p) => JSON.stringify({ document: `${p.source}. ${p.target}.`, summary: p.source, references: [p.source, p.target] })).join('\n') + '\n');
  // Trained a little (as in train-seq2seq.test.ts) so that the outputs are real sentences, not empty strings.
  const t = await lengua([
    'train', '--task', 'translation', '--model', modelDir, '--train', pairs, '--eval', validation, '--source-lang', 'en', '--target-lang', 'es', '--out', trained,
    '--max-steps', '150', '--learning-rate', '1e-2', '--per-device-train-batch-size', '6', '--save-strategy', 'no', '--seed', '1', '--threads', '1', '--quiet',
  ]);
  assert.equal(t.code, 0, t.err);
  const e = await lengua(['export', '--model', trained, '--out', exported]);
  assert.equal(e.code, 0, e.err);
});

const mt = ['--task', 'translation', '--source-lang', 'en', '--target-lang', 'es', '--json'];

test('translation on libtorch and on the ONNX export: the same texts and scores, each the corpus BLEU/chrF of the written predictions', async () => {
  const [t, o] = await Promise.all([
    lengua(['evaluate', '--model', trained, '--data', validation, ...mt, '--threads', '1', '--batch-size', '3']),
    lengua(['evaluate', '--model', exported, '--data', validation, ...mt, '--batch-size', '3']),
  ]);
  assert.equal(t.code, 0, t.err);
  assert.equal(o.code, 0, o.err);
  const ts = JSON.parse(t.out) as Summary;
  const os = JSON.parse(o.out) as Summary;
  assert.equal(ts.out, join(trained, 'eval-validation'));
  assert.equal(os.out, join(exported, 'eval-validation'));
  assert.match(ts.engine, /^torch/);
  assert.match(os.engine, /^onnx/);
  const tr = rows(ts.out);
  const or = rows(os.out);
  assert.deepEqual(or.map((r) => r.prediction), tr.map((r) => r.prediction));
  assert.deepEqual(os.metrics, ts.metrics);

  assert.deepEqual(Object.keys(ts.metrics).sort(), ['bleu', 'chrf', 'gen_len']);
  assert.ok(ts.metrics.bleu! > 30, `the trained pairs come back: BLEU ${ts.metrics.bleu}`);
  assert.equal(tr.length, 7);
  assert.ok(tr.every((r) => r.split === 'validation' && r.prediction !== ''));
  assert.deepEqual(tr.map((r) => [r.line, r.references]), [...TINY_PAIRS, MARKUP].map((p, i) => [i + 1, [p.target]]));
  // The same functions on the same strings: equal exactly.
  const preds = tr.map((r) => r.prediction);
  const refs = toReferenceStreams(tr.map((r) => r.references));
  assert.equal(ts.metrics.bleu, corpusBleu(preds, refs).score);
  assert.equal(ts.metrics.chrf, corpusChrf(preds, refs).score);
  for (const r of tr) assert.deepEqual(r.scores, { bleu: sentenceBleu(r.prediction, r.references).score, chrf: sentenceChrf(r.prediction, r.references).score });
  // gen_len: the mean of the per-example generated token counts, rounded to 4 places as transformers does.
  assert.equal(ts.metrics.gen_len, Math.round((tr.reduce((s, r) => s + r.gen_len, 0) / tr.length) * 1e4) / 1e4);
  // The training run's final evaluation on the same file (Seq2SeqTrainer.predict, max_length 128): the same texts and scores.
  const atTraining = readFileSync(join(trained, 'eval_predictions.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { prediction: string }).prediction);
  assert.deepEqual(preds, atTraining);
  const evalResults = JSON.parse(readFileSync(join(trained, 'eval_results.json'), 'utf8')) as Record<string, number>;
  assert.deepEqual([ts.metrics.bleu, ts.metrics.chrf, ts.metrics.gen_len], [evalResults.eval_bleu, evalResults.eval_chrf, evalResults.eval_gen_len]);

  const m = JSON.parse(readFileSync(join(ts.out, 'metrics.json'), 'utf8')) as Summary;
  assert.equal(m.n, 7);
  assert.equal(m.split, 'validation');
  assert.equal(m.task, 'translation');
  assert.equal(m.dataSha256, sha256(validation));
  assert.equal(m.generation.numBeams, 1);
  assert.equal(m.generation.maxLength, 128, 'no length in the model config: run_translation.py\'s 128');
  assert.equal(m.generation.batchSize, 3);

  // The report: self-contained, the markup of the data shown as text.
  const html = readFileSync(join(ts.out, 'report.html'), 'utf8');
  assert.ok(html.includes('the cat sleeps on the &lt;b&gt;sofa&lt;/b&gt; &amp; more'));
  assert.ok(html.includes('el gato duerme en el &lt;b&gt;sofá&lt;/b&gt;'));
  assert.ok(!html.includes('<b>sofa'));
  assert.ok(!/<script|<link|\bsrc=|url\(/i.test(html));
  for (const id of ['summary', 'generation', 'lengths', 'worst', 'best']) assert.ok(html.includes(`<section id="${id}">`), id);
  assert.ok(html.includes('<section id="learning-curves">'), 'the training run\'s log.jsonl in the model folder');
});

test('beam search and a token limit: both engines still agree; the limit is recorded and the cut outputs counted', async () => {
  const flags = [...mt, '--num-beams', '3', '--max-new-tokens', '6'];
  const [t, o] = await Promise.all([
    lengua(['evaluate', '--model', trained, '--data', validation, ...flags, '--threads', '1', '--out', join(root, 'beam-torch')]),
    lengua(['evaluate', '--model', exported, '--data', validation, ...flags, '--out', join(root, 'beam-onnx')]),
  ]);
  assert.equal(t.code, 0, t.err);
  assert.equal(o.code, 0, o.err);
  const ts = JSON.parse(t.out) as Summary & { lengths: { cutAtMaxLength: number } };
  assert.deepEqual(rows(join(root, 'beam-onnx')).map((r) => r.prediction), rows(join(root, 'beam-torch')).map((r) => r.prediction));
  assert.equal(ts.generation.numBeams, 3);
  assert.equal(ts.generation.maxNewTokens, 6);
  assert.ok(rows(join(root, 'beam-torch')).every((r) => r.gen_len <= 6));
  // The tokenizer cuts these sentences into more than 6 pieces (gen_len was above 6 without the limit).
  assert.ok(ts.lengths.cutAtMaxLength > 0);
});

test('summarization: ROUGE-1/2/L/Lsum against every reference, the mean sentence ROUGE-L is the corpus one', async () => {
  const r = await lengua(['evaluate', '--model', trained, '--data', summaries, '--task', 'summarization', '--source-prefix', 'summarize: ', '--threads', '1', '--json']);
  assert.equal(r.code, 0, r.err);
  const s = JSON.parse(r.out) as Summary;
  assert.equal(s.split, 'validation', 'from the file name (summaries_dev)');
  assert.deepEqual(Object.keys(s.metrics).sort(), ['gen_len', 'rouge1', 'rouge2', 'rougeL', 'rougeLsum']);
  assert.equal(s.generation.sourcePrefix, 'summarize: ');
  const rs = rows(s.out);
  assert.deepEqual(rs.map((x) => x.references), TINY_PAIRS.map((p) => [p.source, p.target]));
  const expected = rouge(rs.map((x) => x.prediction), rs.map((x) => x.references), { useStemmer: true });
  for (const k of ['rouge1', 'rouge2', 'rougeL', 'rougeLsum']) assert.equal(s.metrics[k], expected[k], k);
  for (const x of rs) assert.deepEqual(x.scores, { rougeL: rougeScoreMulti(x.references, x.prediction, { rougeTypes: ['rougeL'], useStemmer: true }).rougeL!.fmeasure });
  // rouge() sums the per-example F-measures from 0 in file order and divides by n: the same operations, so equal exactly.
  assert.equal(rs.reduce((a, x) => a + x.scores.rougeL!, 0) / rs.length, s.metrics.rougeL);
});

test('a test split is evaluated once per model folder; again only with --force, recorded as forced', async () => {
  const dir = join(root, 'held-out');
  mkdirSync(dir);
  const testFile = join(dir, 'test.jsonl');
  writeFileSync(testFile, TINY_PAIRS.slice(0, 3).map((p) => JSON.stringify({ source: p.source, target: p.target })).join('\n') + '\n');
  // No --task: a T5 folder defaults to text2text-generation (every score); columns source/target found by name.
  const first = await lengua(['evaluate', '--model', exported, '--data', testFile, '--json']);
  assert.equal(first.code, 0, first.err);
  const s = JSON.parse(first.out) as Summary;
  assert.equal(s.task, 'text2text-generation');
  assert.equal(s.split, 'test');
  assert.deepEqual(Object.keys(s.metrics).sort(), ['bleu', 'chrf', 'gen_len', 'rouge1', 'rouge2', 'rougeL', 'rougeLsum']);
  const again = await lengua(['evaluate', '--model', exported, '--data', testFile, '--out', join(dir, 'again')]);
  assert.notEqual(again.code, 0);
  assert.match(again.err, /test split was already evaluated/);
  assert.match(again.err, /--force/);
  const forced = await lengua(['evaluate', '--model', exported, '--data', testFile, '--force', '--out', join(dir, 'forced')]);
  assert.equal(forced.code, 0, forced.err);
  assert.match(forced.out, /recorded as forced/);
  const records = (JSON.parse(readFileSync(join(exported, 'evaluations.json'), 'utf8')) as { evaluations: Array<{ split: string; forced?: boolean; metrics: Record<string, number> }> }).evaluations;
  const tests = records.filter((x) => x.split === 'test');
  assert.deepEqual(tests.map((x) => x.forced === true), [false, true]);
  assert.equal(tests[0]!.metrics.bleu, s.metrics.bleu);
  // The record travels with an export made afterwards: a test split scored on the training folder is not scored
  // again on its export.
  const onFolder = await lengua(['evaluate', '--model', trained, '--data', testFile, '--out', join(dir, 'folder')]);
  assert.equal(onFolder.code, 0, onFolder.err);
  const later = join(dir, 'later-export');
  const e = await lengua(['export', '--model', trained, '--out', later]);
  assert.equal(e.code, 0, e.err);
  const onExport = await lengua(['evaluate', '--model', later, '--data', testFile, '--out', join(dir, 'export')]);
  assert.notEqual(onExport.code, 0);
  assert.match(onExport.err, /test split was already evaluated/);
});

test('refusals name the flag, file or field', async () => {
  const clf = join(root, 'classifier');
  mkdirSync(clf);
  writeFileSync(join(clf, 'config.json'), JSON.stringify({ model_type: 'bert', architectures: ['BertForSequenceClassification'], id2label: { 0: 'neg', 1: 'pos' } }));
  const [asTranslation, langOnClassifier, bothLengths, noLangs, classifierFlag, noOnnx] = await Promise.all([
    lengua(['evaluate', '--model', clf, '--data', validation, '--task', 'translation']),
    lengua(['evaluate', '--model', clf, '--data', validation, '--source-lang', 'en']),
    lengua(['evaluate', '--model', trained, '--data', validation, ...mt, '--max-new-tokens', '5', '--max-length', '9']),
    lengua(['evaluate', '--model', trained, '--data', validation, '--task', 'translation']),
    lengua(['evaluate', '--model', trained, '--data', validation, '--text-column', 'en']),
    lengua(['evaluate', '--model', trained, '--data', validation, ...mt, '--engine', 'onnx']),
  ]);
  assert.notEqual(asTranslation.code, 0);
  assert.match(asTranslation.err, /--task translation evaluates encoder-decoders .*BertForSequenceClassification .*a classifier: leave out --task/);
  assert.match(asTranslation.err, /config\.json/);
  assert.notEqual(langOnClassifier.code, 0);
  assert.match(langOnClassifier.err, /--source-lang apply to encoder-decoders/);
  assert.notEqual(bothLengths.code, 0);
  assert.match(bothLengths.err, /give --max-new-tokens or --max-length, not both/);
  assert.notEqual(noLangs.code, 0);
  assert.match(noLangs.err, /--source-lang, --target-lang; this file has en, es/);
  assert.notEqual(classifierFlag.code, 0);
  assert.match(classifierFlag.err, /--text-column apply to classifiers/);
  assert.notEqual(noOnnx.code, 0);
  assert.match(noOnnx.err, /--engine onnx needs onnx\/encoder_model\.onnx/);
});
