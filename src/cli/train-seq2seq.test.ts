// `lengua train --task translation|summarization` and `lengua generate` on the trained folder, run as a user
// runs them (child processes): a small T5 with a tokenizer trained here learns six sentence pairs, its final
// evaluation's texts are written and scored, and generate gives those texts on libtorch and, after export,
// on ONNX Runtime.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliAsync } from './testing.js';
import { TINY_PAIRS, tinyTranslationSetup } from '../train/testing/seq2seq.js';

const root = mkdtempSync(join(tmpdir(), 'lengua-cli-s2s-'));
after(() => rmSync(root, { recursive: true, force: true }));

const lengua = (argv: string[]): Promise<{ code: number; out: string; err: string }> => runCliAsync(argv, { LENGUA_NUM_THREADS: '1' });

const modelDir = join(root, 't5');
const translation = join(root, 'pairs.jsonl');
const summaries = join(root, 'summaries.jsonl');
before(async () => {
  const { tokenizer, model } = await tinyTranslationSetup(root);
  await model.savePretrained(modelDir, { tokenizer });
  writeFileSync(translation, TINY_PAIRS.map((p, i) => JSON.stringify({ id: String(i), translation: { en: p.source, es: p.target } })).join('\n') + '\n');
  writeFileSync(summaries, TINY_PAIRS.map((p) => JSON.stringify({ document: `${p.source}. ${p.target}.`, summary: p.source, references: [p.source, p.target] })).join('\n') + '\n');
});

test('train --task translation learns the pairs, writes the scored eval texts; generate gives them on libtorch and ONNX Runtime', async () => {
  const out = join(root, 'mt');
  const r = await lengua([
    'train', '--task', 'translation', '--model', modelDir, '--train', translation, '--eval', translation, '--source-lang', 'en', '--target-lang', 'es',
    '--out', out, '--max-steps', '150', '--learning-rate', '1e-2', '--per-device-train-batch-size', '6', '--save-strategy', 'no', '--seed', '1',
    '--threads', '1', '--quiet', '--json',
  ]);
  assert.equal(r.code, 0, r.err);
  const { metrics } = JSON.parse(r.out) as { metrics: Record<string, number> };
  assert.ok(metrics.eval_bleu! > 30, `BLEU ${metrics.eval_bleu}`);
  for (const k of ['train_loss', 'eval_loss', 'eval_chrf', 'eval_gen_len']) assert.ok(Number.isFinite(metrics[k]), k);
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'eval_results.json', 'all_results.json', 'trainer_state.json']) assert.ok(existsSync(join(out, f)), f);
  const preds = readFileSync(join(out, 'eval_predictions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { source: string; prediction: string; references: string[] });
  assert.deepEqual(preds.map((p) => [p.source, p.references]), TINY_PAIRS.map((p) => [p.source, [p.target]]));

  // generate on the folder (libtorch) and on its export (ONNX Runtime): the text the evaluation wrote.
  const p = preds[2]!;
  const torchRun = await lengua(['generate', '--model', out, '--max-new-tokens', '127', '--json', p.source]);
  assert.equal(torchRun.code, 0, torchRun.err);
  const t = JSON.parse(torchRun.out) as { generated_text: string; ids: number[]; engine: string };
  assert.equal(t.generated_text.trim(), p.prediction);
  assert.equal(t.engine, 'torch');
  const exported = join(root, 'mt-onnx');
  const ex = await lengua(['export', '--model', out, '--out', exported]);
  assert.equal(ex.code, 0, ex.err);
  const onnxRun = await lengua(['generate', '--model', exported, '--max-new-tokens', '127', '--json', p.source]);
  assert.equal(onnxRun.code, 0, onnxRun.err);
  const o = JSON.parse(onnxRun.out) as { generated_text: string; ids: number[]; engine: string };
  assert.equal(o.engine, 'onnx');
  assert.deepEqual(o.ids, t.ids);
  assert.equal(o.generated_text, t.generated_text);
});

test('train --task summarization scores ROUGE against every reference; the flags are checked', async () => {
  const out = join(root, 'sum');
  const r = await lengua(['train', '--task', 'summarization', '--model', modelDir, '--train', summaries, '--eval', summaries, '--out', out, '--max-steps', '3',
    '--source-prefix', 'summarize: ', '--generation-max-length', '6', '--save-strategy', 'no', '--threads', '1', '--quiet', '--json']);
  assert.equal(r.code, 0, r.err);
  const { metrics } = JSON.parse(r.out) as { metrics: Record<string, number> };
  for (const k of ['eval_rouge1', 'eval_rouge2', 'eval_rougeL', 'eval_rougeLsum']) assert.ok(metrics[k]! >= 0 && metrics[k]! <= 1, k);
  assert.ok(!('eval_bleu' in metrics));
  assert.ok(metrics.eval_gen_len! <= 5, 'generationMaxLength 6 counts the decoder start');

  const noLang = await lengua(['train', '--task', 'translation', '--model', modelDir, '--train', translation, '--out', join(root, 'x1'), '--quiet']);
  assert.notEqual(noLang.code, 0);
  assert.match(noLang.err, /give the source and target languages \(--source-lang, --target-lang; this file has en, es\)/);
  const wrongTask = await lengua(['train', '--model', modelDir, '--train', translation, '--source-lang', 'en', '--out', join(root, 'x2'), '--quiet']);
  assert.notEqual(wrongTask.code, 0);
  assert.match(wrongTask.err, /--source-lang applies to --task translation\|summarization\|text2text-generation/);
});
