// Masked-LM pretraining: run_mlm's grouping into blocks, DataCollatorForLanguageModeling's 15 % / 80-10-10
// masking and whole-word masking (checked statistically, with bounds of several binomial standard deviations),
// and the MaskedLMTrainer learning a corpus with structure, evaluating deterministically and resuming exactly.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../torch/index.js';
import { LenguaError } from '../errors.js';
import { mulberry32 } from '../data/index.js';
import { AutoConfig, AutoModelForMaskedLM, AutoModelForSequenceClassification } from '../models/index.js';
import { AutoTokenizer, type PreTrainedTokenizer } from '../text/tokenizer/index.js';
import { saveTrainedTokenizer, trainTokenizer } from '../text/tokenizer/train/index.js';
import { trainingArguments, type TrainingArguments } from './arguments.js';
import { collateMlm, encodeMlm, maskTokens, type MlmEncodedDataset } from './mlm-data.js';
import { MaskedLMTrainer } from './mlm-trainer.js';
import { LABEL_PAD } from './seq2seq-data.js';
import { GOLDEN, TINY_MODEL } from './testing/task.js';

torch.setNumThreads(1);
const skip = GOLDEN === null ? 'no goldens' : false;
const root = mkdtempSync(join(tmpdir(), 'lengua-mlm-'));
after(() => rmSync(root, { recursive: true, force: true }));

function args(over: Partial<TrainingArguments> = {}): TrainingArguments {
  return trainingArguments({ outputDir: join(root, `run-${Math.random().toString(36).slice(2)}`), saveStrategy: 'no', quiet: true, seed: 3, ...over });
}

/** Sentences with structure a masked LM can learn: "the <animal> eats <its food>", "<colour> <fruit> is sweet". */
function corpus(n: number, seed: number): string[] {
  const rand = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const pairs = [['cat', 'fish'], ['dog', 'meat'], ['cow', 'grass'], ['bird', 'seeds']] as const;
  const fruit = [['red', 'apple'], ['yellow', 'banana'], ['orange', 'orange'], ['green', 'pear']] as const;
  return Array.from({ length: n }, () => {
    if (rand() < 0.5) {
      const [a, f] = pick(pairs);
      return `the ${a} eats ${f} every day .`;
    }
    const [c, f] = pick(fruit);
    return `a ${c} ${f} is sweet and ripe .`;
  });
}

let tok: PreTrainedTokenizer | undefined;
async function tokenizer(): Promise<PreTrainedTokenizer> {
  tok ??= await AutoTokenizer.fromPretrained(TINY_MODEL);
  return tok;
}

test('group_texts: blocks of maxLength tokens that concatenate to the encoded texts; line-by-line keeps the closing special token', { skip }, async () => {
  const t = await tokenizer();
  const texts = corpus(40, 1);
  const stream = texts.flatMap((x) => t.encode(x).ids);
  const ds = encodeMlm(texts, t, { maxLength: 16 });
  assert.equal(ds.inputIds.length, Math.floor(stream.length / 16));
  assert.ok(ds.inputIds.every((r) => r.length === 16));
  assert.deepEqual(ds.inputIds.flat(), stream.slice(0, ds.inputIds.length * 16));
  // Special tokens are marked where the tokenizer put them ([CLS] and [SEP] of each text).
  ds.inputIds.flat().forEach((id, i) => assert.equal(ds.specialTokensMask.flat()[i] === 1, id === t.clsTokenId || id === t.sepTokenId, `position ${i}`));

  const one = encodeMlm(['a short text'], t, { maxLength: 512 });
  assert.deepEqual(one.inputIds, [t.encode('a short text').ids], 'a corpus shorter than one block is one block');

  const lines = encodeMlm(['the cat eats fish every day and every night too .', '', 'ok'], t, { maxLength: 6, lineByLine: true });
  assert.equal(lines.inputIds.length, 2, 'empty lines are skipped');
  assert.equal(lines.inputIds[0]!.length, 6);
  assert.equal(lines.inputIds[0]![0], t.clsTokenId);
  assert.equal(lines.inputIds[0]![5], t.sepTokenId);
  assert.deepEqual(lines.specialTokensMask[0], [1, 0, 0, 0, 0, 1]);
});

test('80/10/10 masking of 15 % of the non-special tokens, labels only at chosen positions', { skip }, async () => {
  const t = await tokenizer();
  const ds = encodeMlm(corpus(3000, 2), t, { maxLength: 64 });
  const rand = mulberry32(11);
  let eligible = 0;
  let chosen = 0;
  let toMask = 0;
  let changed = 0;
  for (let i = 0; i < ds.inputIds.length; i++) {
    const ids = ds.inputIds[i]!;
    const m = maskTokens(ds, i, rand);
    ids.forEach((id, j) => {
      if (ds.specialTokensMask[i]![j] === 1) {
        assert.equal(m.labels[j], LABEL_PAD, 'a special token is never a target');
        assert.equal(m.inputIds[j], id, 'a special token is never replaced');
        return;
      }
      eligible++;
      if (m.labels[j] === LABEL_PAD) {
        assert.equal(m.inputIds[j], id, 'an unchosen token is left alone');
        return;
      }
      chosen++;
      assert.equal(m.labels[j], id, 'the label is the original token');
      if (m.inputIds[j] === ds.maskTokenId) toMask++;
      else if (m.inputIds[j] !== id) {
        changed++;
        assert.ok(m.inputIds[j]! >= 0 && m.inputIds[j]! < ds.vocabSize);
      }
    });
  }
  // Bounds: 6 binomial standard deviations, so a correct implementation fails with probability ~1e-9.
  const within = (k: number, n: number, p: number, what: string): void => {
    const sd = Math.sqrt(n * p * (1 - p));
    assert.ok(Math.abs(k - n * p) < 6 * sd, `${what}: ${k} of ${n}, expected ${(n * p).toFixed(0)} ± ${(6 * sd).toFixed(0)}`);
  };
  assert.ok(eligible > 40_000, `eligible ${eligible}`);
  within(chosen, eligible, 0.15, 'chosen');
  within(toMask, chosen, 0.8, '[MASK]');
  // A random replacement equals the original with probability 1/vocab: those count as unchanged.
  within(changed, chosen, 0.1 * (1 - 1 / ds.vocabSize), 'random');
});

test('whole-word masking takes every piece of a chosen word and fills round(15 %) of the tokens at most', { skip }, async () => {
  const t = await tokenizer();
  // The tiny tokenizer spells most words letter by letter ("c ##a ##t"); one-letter words are one piece.
  const texts = Array.from({ length: 50 }, (_, i) => `a b c d ${i % 2 ? 'photosynthesis' : 'cat'} e f g h i j k`);
  const ds = encodeMlm(texts, t, { maxLength: 24, lineByLine: true });
  assert.ok(ds.wordStarts.some((s) => s.some((x, j) => !x && j > 0)), 'the corpus has multi-piece words');
  const rand = mulberry32(5);
  for (let i = 0; i < ds.inputIds.length; i++) {
    const m = maskTokens(ds, i, rand, { wholeWordMask: true });
    const starts = ds.wordStarts[i]!;
    const target = m.labels.map((y) => y !== LABEL_PAD);
    // Every non-start position shares its word's fate.
    for (let j = 1; j < starts.length; j++) if (!starts[j] && ds.specialTokensMask[i]![j] !== 1) assert.equal(target[j], target[j - 1], `example ${i} position ${j}`);
    const n = target.filter(Boolean).length;
    assert.ok(n >= 1 && n <= Math.max(1, Math.round(starts.length * 0.15)), `${n} targets of ${starts.length}`);
  }
});

test('the loss with the head at the masked positions only equals the full-logits loss, value and gradients (BERT, RoBERTa, DistilBERT)', { skip }, async () => {
  const t = await tokenizer();
  const ds = encodeMlm(corpus(40, 7), t, { maxLength: 24, lineByLine: true });
  const batch = collateMlm(ds, [0, 1, 2, 3, 4, 5], 99);
  assert.ok(batch.targets.shape[0]! > 3, 'some tokens are masked');
  const size = { vocab_size: t.vocabSize, max_position_embeddings: 64 };
  for (const [type, cfg] of [
    ['bert', { ...size, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 64 }],
    ['roberta', { ...size, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 64, pad_token_id: 0 }],
    ['distilbert', { ...size, dim: 32, n_layers: 2, n_heads: 4, hidden_dim: 64 }],
  ] as const) {
    const model = AutoModelForMaskedLM.fromConfig(AutoConfig.forModel(type, cfg), { seed: 5 });
    model.eval();
    const grads = (f: () => torch.Tensor): { loss: number; g: Map<string, number[]> } => {
      for (const p of model.parameters()) p.grad?.zero_();
      const loss = f();
      loss.backward();
      const g = new Map<string, number[]>();
      for (const [k, p] of model.namedParameters()) if (p.grad) g.set(k, Array.from(p.grad.reshape([-1]).data() as Float32Array));
      return { loss: loss.item(), g };
    };
    const input = { inputIds: batch.inputIds, attentionMask: batch.attentionMask };
    const full = grads(() => model.loss((model.forward(input) as { logits: torch.Tensor }).logits, batch.labels));
    const part = grads(() => (model as unknown as { maskedLmLoss: (i: typeof input, p: torch.Tensor, y: torch.Tensor) => { loss: torch.Tensor } }).maskedLmLoss(input, batch.positions, batch.targets).loss);
    // The same float32 operations on the same rows: differences are rounding only (a few ulps of log(vocab)).
    assert.ok(Math.abs(full.loss - part.loss) < 1e-5, `${type}: loss ${full.loss} vs ${part.loss}`);
    for (const [k, a] of full.g) {
      const b = part.g.get(k)!;
      const scale = Math.max(1e-3, ...a.map(Math.abs));
      const worst = Math.max(...a.map((x, i) => Math.abs(x - b[i]!)));
      assert.ok(worst <= 1e-4 * scale, `${type} ${k}: gradient differs by ${worst} (scale ${scale})`);
    }
  }
});

test('MaskedLMTrainer pretrains from scratch (a WordPiece tokenizer trained on the corpus, random weights): masked accuracy and perplexity far better than at the start; evaluation is deterministic', { skip }, async () => {
  // What `lengua pretrain` does: a tokenizer trained on the corpus, a small BERT from its config.
  const dir = join(root, 'scratch-tokenizer');
  const text = join(root, 'corpus.txt');
  writeFileSync(text, corpus(400, 3).join('\n') + '\n');
  saveTrainedTokenizer(dir, await trainTokenizer([text], { model: 'wordpiece', vocabSize: 120 }));
  const t = await AutoTokenizer.fromPretrained(dir);
  const config = AutoConfig.forModel('bert', { vocab_size: t.vocabSize, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 64, max_position_embeddings: 64 });
  const model = AutoModelForMaskedLM.fromConfig(config, { seed: 2 });
  // One sentence per example: with 400 sentences, concatenated blocks put each template at every offset and a
  // model from scratch needs far more data to learn positions that way (masked accuracy stays near 0.2 here).
  const train = encodeMlm(corpus(400, 3), t, { maxLength: 32, lineByLine: true });
  const dev = encodeMlm(corpus(80, 4), t, { maxLength: 32, lineByLine: true });
  const trainer = new MaskedLMTrainer({ model, args: args({ maxSteps: 200, learningRate: 3e-3, perDeviceTrainBatchSize: 16 }), trainDataset: train, evalDataset: dev, tokenizer: t });
  const before = await trainer.evaluate();
  assert.deepEqual({ ...(await trainer.evaluate()), eval_runtime: 0, eval_samples_per_second: 0 }, { ...before, eval_runtime: 0, eval_samples_per_second: 0 }, 'same masks, same figures');
  await trainer.train();
  const afterTraining = await trainer.evaluate();
  assert.equal(afterTraining.eval_perplexity, Math.exp(afterTraining.eval_loss!));
  assert.equal(afterTraining.eval_masked_tokens, before.eval_masked_tokens);
  // Untrained: about uniform over the vocabulary. Trained: the templates leave one to four plausible words per slot.
  assert.ok(before.eval_accuracy! < 0.15, `accuracy before ${before.eval_accuracy}`);
  assert.ok(afterTraining.eval_accuracy! > 0.6, `accuracy after ${afterTraining.eval_accuracy}`);
  assert.ok(afterTraining.eval_perplexity! < before.eval_perplexity! / 10, `perplexity ${before.eval_perplexity} → ${afterTraining.eval_perplexity}`);
});

test('a run resumed from a checkpoint replays the same masks: the same final weights as the uninterrupted run', { skip }, async () => {
  const t = await tokenizer();
  const train = encodeMlm(corpus(120, 5), t, { maxLength: 24 });
  const common = { maxSteps: 12, learningRate: 3e-3, perDeviceTrainBatchSize: 8, saveStrategy: 'steps' as const, saveSteps: 6 };
  const whole = join(root, 'whole');
  const full = new MaskedLMTrainer({ model: await AutoModelForMaskedLM.fromPretrained(TINY_MODEL, { seed: 4 }), args: args({ ...common, outputDir: whole }), trainDataset: train, tokenizer: t });
  const a = await full.train();
  // A run that stopped after step 6: only checkpoint-6 of the same run.
  const out = join(root, 'resumed');
  cpSync(join(whole, 'checkpoint-6'), join(out, 'checkpoint-6'), { recursive: true });
  const second = new MaskedLMTrainer({ model: await AutoModelForMaskedLM.fromPretrained(TINY_MODEL, { seed: 9 }), args: args({ ...common, outputDir: out }), trainDataset: train, tokenizer: t });
  const b = await second.train({ resumeFromCheckpoint: true });
  assert.equal(b.globalStep, a.globalStep);
  const wa = full.model.stateDict();
  const wb = second.model.stateDict();
  for (const [k, v] of wa) {
    const d = v.sub(wb.get(k)!).abs().amax().item();
    assert.equal(d, 0, `${k} differs by ${d}`);
  }
});

test('refuses what it cannot train: a classifier, a tokenizer without a mask token, an empty corpus', { skip }, async () => {
  const t = await tokenizer();
  const train = encodeMlm(corpus(20, 6), t, { maxLength: 16 });
  const classifier = await AutoModelForSequenceClassification.fromPretrained(TINY_MODEL, { seed: 1 });
  assert.throws(() => new MaskedLMTrainer({ model: classifier, args: args(), trainDataset: train }), (e: unknown) => e instanceof LenguaError && /ForMaskedLM/.test(e.message));
  const model = await AutoModelForMaskedLM.fromPretrained(TINY_MODEL, { seed: 1 });
  const empty: MlmEncodedDataset = { ...encodeMlm([''], t, { maxLength: 16 }) };
  assert.throws(() => new MaskedLMTrainer({ model, args: args(), trainDataset: empty }), (e: unknown) => e instanceof LenguaError && e.field === 'trainDataset');
  assert.throws(() => new MaskedLMTrainer({ model, args: args(), trainDataset: train, mlmProbability: 1 }), (e: unknown) => e instanceof LenguaError && e.field === 'mlmProbability');
  assert.throws(() => encodeMlm(['x'], t, { maxLength: 1 }), (e: unknown) => e instanceof LenguaError && e.field === 'maxLength');
  const gpt2 = await AutoTokenizer.fromPretrained(join(GOLDEN!, 'fixtures', 'gpt2-tiny'));
  assert.throws(() => encodeMlm(['x'], gpt2, { maxLength: 16 }), (e: unknown) => e instanceof LenguaError && e.field === 'mask_token');
});
