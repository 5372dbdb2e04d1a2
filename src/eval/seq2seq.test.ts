// evaluateSeq2Seq and its report without an engine: the generator is the stage's interface, so a function that
// answers from a table stands for libtorch / ONNX Runtime (those are tested end to end in
// src/cli/evaluate-seq2seq.test.ts). Checks the batching and prefix, the length accounting, the refusals and
// that the report escapes model output as well as data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSeq2SeqData } from '../data/index.js';
import { LenguaError } from '../errors.js';
import { corpusBleu, rouge } from '../metrics/index.js';
import { evaluateSeq2Seq, isEncoderDecoderConfig, type GeneratedText } from './seq2seq.js';
import { renderSeq2SeqReport } from './report/seq2seq.js';

function dataFile(rows: object[]): { file: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'lengua-eval-s2s-'));
  const file = join(dir, 'dev.jsonl');
  writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return { file, done: () => rmSync(dir, { recursive: true, force: true }) };
}

const MODEL = { name: 'm', kind: 'T5ForConditionalGeneration' };

test('batches of batchSize with the prefix; gen_len without pad; cut and empty outputs are counted', async () => {
  const { file, done } = dataFile([
    { source: 'a b c', target: 'x y z' },
    { source: 'd e', target: 'u v' },
    { source: 'f', target: 'w' },
  ]);
  try {
    const calls: string[][] = [];
    const answers: Record<string, GeneratedText> = {
      'p: a b c': { text: ' x y z ', ids: [5, 6, 7, 1], finishReason: 'eos' },
      'p: d e': { text: 'u', ids: [5, 0, 0], finishReason: 'eos' },
      'p: f': { text: '', ids: [9, 9, 9, 9], finishReason: 'length' },
    };
    const r = await evaluateSeq2Seq(
      (sources) => {
        calls.push(sources);
        return Promise.resolve(sources.map((s) => answers[s]!));
      },
      loadSeq2SeqData(file),
      { task: 'summarization', sourcePrefix: 'p: ', batchSize: 2, padTokenId: 0, model: MODEL, engine: 'test', generation: { maxNewTokens: 4 } },
    );
    assert.deepEqual(calls, [['p: a b c', 'p: d e'], ['p: f']]);
    assert.deepEqual(r.predictions.map((p) => p.prediction), ['x y z', 'u', ''], 'trimmed, as the trainer trims');
    assert.deepEqual(r.predictions.map((p) => p.genLen), [4, 1, 4]);
    assert.equal(r.metrics.gen_len, 3);
    assert.deepEqual(r.metrics.rougeL, rouge(['x y z', 'u', ''], [['x y z'], ['u v'], ['w']], { useStemmer: true }).rougeL);
    assert.equal(r.lengths.cutAtMaxLength, 1);
    assert.equal(r.lengths.ratio, 4 / 6);
    assert.equal(r.split, 'validation');
    assert.equal(r.rankedBy, 'rougeL');
    assert.equal(r.warnings.length, 2);
    assert.match(r.warnings[0]!, /1 of 3 outputs stopped at the generation length limit \(4\)/);
    assert.match(r.warnings[1]!, /1 of 3 outputs are empty/);
  } finally {
    done();
  }
});

test('translation: BLEU length ratio from sacreBLEU; a generator answering the wrong number of rows is refused', async () => {
  const { file, done } = dataFile([{ translation: { en: 'one', es: 'uno dos' } }, { translation: { en: 'two', es: 'tres' } }]);
  try {
    const data = loadSeq2SeqData(file, { sourceLang: 'en', targetLang: 'es' });
    const r = await evaluateSeq2Seq((s) => Promise.resolve(s.map(() => ({ text: 'uno', ids: [3, 1] }))), data, { task: 'translation', padTokenId: 0, model: MODEL, engine: 'test' });
    const b = corpusBleu(['uno', 'uno'], [['uno dos', 'tres']]);
    assert.equal(r.metrics.bleu, b.score);
    assert.equal(r.lengths.bleuLengthRatio, b.sysLen / b.refLen);
    assert.deepEqual(Object.keys(r.predictions[0]!.scores), ['bleu', 'chrf']);
    await assert.rejects(
      evaluateSeq2Seq((s) => Promise.resolve(s.slice(1).map(() => ({ text: 'x', ids: [1] }))), data, { task: 'translation', padTokenId: 0, model: MODEL, engine: 'test' }),
      (e: unknown) => e instanceof LenguaError && e.field === 'generator' && /returned 1 rows for 2 sources/.test(e.message),
    );
    await assert.rejects(
      evaluateSeq2Seq((s) => Promise.resolve(s.map(() => ({ text: 'x', ids: [1] }))), data, { task: 'translation', batchSize: 0, padTokenId: 0, model: MODEL, engine: 'test' }),
      (e: unknown) => e instanceof LenguaError && e.field === 'batchSize',
    );
  } finally {
    done();
  }
});

test('the report escapes predictions, sources and references, and shows each example once', async () => {
  const { file, done } = dataFile([
    { source: 'is <i>it</i> "safe"?', target: "l'<em>autre</em>" },
    { source: 'b', target: 'b' },
    { source: 'c', target: 'c' },
  ]);
  try {
    const r = await evaluateSeq2Seq((s) => Promise.resolve(s.map((x) => ({ text: x === 'b' ? 'b' : '<script>alert(1)</script>', ids: [2] }))), loadSeq2SeqData(file), {
      task: 'translation',
      padTokenId: 0,
      model: { name: 'm<1>', kind: 'T5' },
      engine: 'test',
    });
    const html = renderSeq2SeqReport(r, { examples: 2 });
    assert.ok(!html.includes('<script'));
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.ok(html.includes('is &lt;i&gt;it&lt;/i&gt; &quot;safe&quot;?'));
    assert.ok(html.includes('l&#39;&lt;em&gt;autre&lt;/em&gt;'));
    assert.ok(html.includes('m&lt;1&gt;'));
    // 3 examples, 2 at each end: the worst two, then the one left as the best.
    const worst = html.slice(html.indexOf('<section id="worst">'), html.indexOf('<section id="best">'));
    const best = html.slice(html.indexOf('<section id="best">'));
    assert.equal((worst.match(/<tr><td class="num">/g) ?? []).length, 2);
    assert.equal((best.match(/<tr><td class="num">/g) ?? []).length, 1);
    assert.ok(best.includes('<td class="text">b</td>'));
  } finally {
    done();
  }
});

test('isEncoderDecoderConfig: by model_type or architecture', () => {
  assert.ok(isEncoderDecoderConfig({ model_type: 't5' }));
  assert.ok(isEncoderDecoderConfig({ model_type: 'marian' }));
  assert.ok(isEncoderDecoderConfig({ model_type: 'x', architectures: ['FooForConditionalGeneration'] }));
  assert.ok(isEncoderDecoderConfig({ architectures: ['MarianMTModel'] }));
  assert.ok(!isEncoderDecoderConfig({ model_type: 'bert', architectures: ['BertForSequenceClassification'] }));
  assert.ok(!isEncoderDecoderConfig({ model_type: 'gpt2', architectures: ['GPT2LMHeadModel'] }));
});
