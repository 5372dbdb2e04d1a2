// Masked-LM fidelity (issue 14): the loss pretraining uses (maskedLmLoss, the vocabulary head at the masked
// positions only) and EVERY gradient, against an independent float64 restatement of transformers'
// BertForMaskedLM / RobertaForMaskedLM / DistilBertForMaskedLM (scripts/mlm-reference.py, Debian's
// python3-torch; no golden exists for the masked-LM heads). The reference runs the head at every position and
// takes the cross-entropy over labels != -100, as transformers does, on the folder savePretrained wrote; the
// batch comes from the project's own collator (collateMlm: specials never masked, -100 on padding and on the
// unchosen tokens, 80/10/10 replacement). The tied word-embedding gradient must hold both the input lookup's and
// the decoder's contributions.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../../torch/index.js';
import type { Tensor } from '../../torch/index.js';
import { readSafetensors } from '../../hub/safetensors.js';
import { mulberry32 } from '../../data/index.js';
import { collateMlm, type MlmEncodedDataset } from '../../train/mlm-data.js';
import { LABEL_PAD } from '../../train/seq2seq-data.js';
import { AutoConfig, AutoModelForMaskedLM, type AnyMaskedLM } from '../auto.js';
import { REPO_ROOT, maxAbs, maxAbsDiff, readTensors } from '../testing.js';
import { skipReference } from '../bart/testing.js';

torch.setNumThreads(1);
const tmp = mkdtempSync(join(tmpdir(), 'lengua-mlm-ref-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const VOCAB = 100;
const HIDDEN = 32;
/** Real-token lengths of the 3 examples (specials included): the batch pads the two shorter ones. */
const LENGTHS = [14, 10, 6];
const MLM_PROBABILITY = 0.3;

interface Family {
  type: 'bert' | 'roberta' | 'distilbert';
  config: Record<string, unknown>;
  /** Ids of the tokenizer's specials as that family's tokenizers number them. */
  pad: number;
  cls: number;
  sep: number;
  mask: number;
  word: string;
  bias: string;
  decoder: string;
}

const BERT_SIZE = { vocab_size: VOCAB, hidden_size: HIDDEN, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 48, max_position_embeddings: 40 };
const FAMILIES: Family[] = [
  { type: 'bert', config: BERT_SIZE, pad: 0, cls: 2, sep: 3, mask: 4, word: 'bert.embeddings.word_embeddings.weight', bias: 'cls.predictions.bias', decoder: 'cls.predictions.decoder.weight' },
  // RoBERTa: <s>=0 <pad>=1 </s>=2; positions count from pad + 1 and the pads sit at position pad.
  { type: 'roberta', config: { ...BERT_SIZE, pad_token_id: 1, type_vocab_size: 1 }, pad: 1, cls: 0, sep: 2, mask: 4, word: 'roberta.embeddings.word_embeddings.weight', bias: 'lm_head.bias', decoder: 'lm_head.decoder.weight' },
  { type: 'distilbert', config: { vocab_size: VOCAB, dim: HIDDEN, n_layers: 2, n_heads: 2, hidden_dim: 48, max_position_embeddings: 40 }, pad: 0, cls: 2, sep: 3, mask: 4, word: 'distilbert.embeddings.word_embeddings.weight', bias: 'vocab_projector.bias', decoder: 'vocab_projector.weight' },
];

/** Three examples `[CLS] w… [SEP]` of LENGTHS tokens, words drawn from the non-special ids, as encodeMlm marks them. */
function dataset(f: Family): MlmEncodedDataset {
  const rand = mulberry32(11);
  const inputIds = LENGTHS.map((n) => [f.cls, ...Array.from({ length: n - 2 }, () => 5 + Math.floor(rand() * (VOCAB - 5))), f.sep]);
  return {
    inputIds, lengths: [...LENGTHS], padTokenId: f.pad, maskTokenId: f.mask, vocabSize: VOCAB,
    specialTokensMask: inputIds.map((r) => r.map((_, i) => (i === 0 || i === r.length - 1 ? 1 : 0))),
    wordStarts: inputIds.map((r) => r.map(() => true)),
  };
}

/**
 * Moves the weights that initialise to constants (LayerNorm 1/0, every bias 0, the head's vocabulary bias 0)
 * off them, so the comparison sees whether each is used where transformers uses it. The matrices get std
 * MATRIX_STD instead of 0.02: with the initialiser's scale every pre-activation is ~0.1, where GELU is nearly
 * linear (erf and tanh forms agree to 1e-6) and attention nearly uniform, so a wrong activation or a wrong
 * score scale would go unseen. At ~1/√hidden · 1.4 the pre-activations are O(1).
 */
const MATRIX_STD = 0.25;
function perturb(model: AnyMaskedLM, seed: number): void {
  torch.manualSeed(seed);
  torch.noGrad(() => {
    for (const [name, p] of model.namedParameters()) {
      if (/(LayerNorm|layer_norm)\.weight$/.test(name)) p.normal_(1, 0.2);
      else if (/(^|\.)bias$/.test(name)) p.normal_(0, 0.2);
      else if (p.shape.length === 2) p.normal_(0, MATRIX_STD);
    }
  });
}

function runReference(modelDir: string, inputs: Record<string, number[][]>): Map<string, Tensor> {
  const inPath = join(tmp, 'inputs.json');
  const outPath = join(tmp, 'reference.safetensors');
  writeFileSync(inPath, JSON.stringify(inputs));
  const r = spawnSync('/usr/bin/python3', [join(REPO_ROOT, 'scripts', 'mlm-reference.py'), modelDir, inPath, outPath], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mlm-reference.py failed (${r.status}): ${r.stderr}`);
  return readTensors(outPath);
}

/*
 * Tolerances. Ours runs in float32 (unit roundoff u = 6e-8), the reference in float64. The loss is a mean of
 * log-softmaxes of logits of a few units: a few u·|logit|, so 1e-5 is ~20 float32 ulps of a loss near 6. The
 * logits pass through 3 LayerNorms per layer (each divides by a standard deviation that can be small,
 * amplifying rounding) and sums of HIDDEN / intermediate terms: ~1e2–1e3·u·|x|, so 1e-4 (observed ~4e-6). A
 * gradient is a sum over the b·s tokens back through the same layers; relative to the largest entry of that
 * tensor, 1e-3 is far above float32 rounding (observed ≤ 0.06 of the tolerance, on the attention key biases,
 * whose exact gradient is 0 since softmax ignores a per-query constant) and far below what a wrong term
 * (a missing bias, an untied decoder, a shifted position) produces: those change entries by O(max|g|).
 */
const LOSS_TOL = 1e-5;
const LOGITS_TOL = 1e-4;
const gradTol = (want: Tensor): number => 1e-6 + 1e-3 * maxAbs(want);

for (const f of FAMILIES) {
  test(`${f.type} masked LM: maskedLmLoss and every gradient (tied word embeddings: input + decoder) equal the float64 reference on a collateMlm batch`, { skip: skipReference }, async (t) => {
    const model = AutoModelForMaskedLM.fromConfig(AutoConfig.forModel(f.type, f.config), { seed: 7 }) as AnyMaskedLM;
    perturb(model, 8);
    const dir = join(tmp, f.type);
    await model.savePretrained(dir);

    // Tied: one [vocab, hidden] tensor in the model and in the file (the word embeddings); the head's own bias
    // is saved under transformers' name.
    const params = model.namedParameters();
    assert.deepEqual(params.filter(([, p]) => p.shape.join() === `${VOCAB},${HIDDEN}`).map(([n]) => n), [f.word], 'the decoder has no weight of its own');
    const saved = readSafetensors(join(dir, 'model.safetensors')).tensors;
    assert.ok(!saved.has(f.decoder), `${f.decoder} is tied, so not saved`);
    assert.deepEqual(saved.get(f.bias)?.shape, [VOCAB], `${f.bias} saved`);
    assert.notEqual((JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { tie_word_embeddings?: boolean }).tie_word_embeddings, false);

    const batch = collateMlm(dataset(f), [0, 1, 2], 5, { mlmProbability: MLM_PROBABILITY });
    const ids = batch.inputIds.toArray() as number[][];
    const labels = batch.labels.toArray() as number[][];
    const attention = batch.attentionMask.toArray() as number[][];
    // The batch exercises what the collator does: padding labelled -100, specials never chosen, [MASK]
    // replacements, and chosen positions whose input is not [MASK] (the 10 % random / 10 % kept).
    assert.equal(ids[2]![LENGTHS[2]!], f.pad);
    assert.ok(labels.every((r, i) => r.every((l, j) => (j < LENGTHS[i]! - 1 && j > 0) || l === LABEL_PAD)), 'specials and padding are -100');
    const chosen = labels.flatMap((r, i) => r.flatMap((l, j) => (l === LABEL_PAD ? [] : [ids[i]![j]!])));
    assert.ok(chosen.length >= 5, `${chosen.length} masked positions`);
    assert.ok(chosen.includes(f.mask) && chosen.some((x) => x !== f.mask), `masked inputs ${chosen}`);

    const ref = runReference(dir, { input_ids: ids, attention_mask: attention, labels });
    model.eval();
    const input = { inputIds: batch.inputIds, attentionMask: batch.attentionMask };
    const { loss, logits } = model.maskedLmLoss(input, batch.positions, batch.targets);
    const dLoss = Math.abs(loss.item() - ref.get('loss')!.item());
    assert.ok(dLoss <= LOSS_TOL, `loss ${loss.item()} vs ${ref.get('loss')!.item()}`);
    const dLogits = maxAbsDiff(logits, ref.get('logits')!);
    assert.ok(dLogits <= LOGITS_TOL, `logits at the masked positions: max diff ${dLogits}`);
    // The full forward with labels (what evaluation can use) gives the same loss.
    torch.noGrad(() => {
      const full = model.forward({ ...input, labels: batch.labels }).loss!.item();
      assert.ok(Math.abs(full - ref.get('loss')!.item()) <= LOSS_TOL, `forward(labels) loss ${full}`);
    });

    loss.backward();
    const refGrads = [...ref.keys()].filter((k) => k.startsWith('grad.')).map((k) => k.slice('grad.'.length)).sort();
    assert.deepEqual(params.map(([n]) => n).sort(), refGrads, 'parameter names = the saved file\'s names');
    let worst = 0;
    let worstName = '';
    for (const [name, p] of params) {
      const want = ref.get('grad.' + name)!;
      const tol = gradTol(want);
      const d = maxAbsDiff(p.grad!, want);
      assert.ok(d <= tol, `grad ${name}: max diff ${d} > ${tol} (max|g| ${maxAbs(want)})`);
      if (d / tol > worst) [worst, worstName] = [d / tol, name];
    }
    // The decoder's share of the word-embedding gradient is not negligible (else the tie would go unseen).
    const word = ref.get('grad.' + f.word)!;
    const lookupRows = new Set(ids.flat());
    const decoderOnly = Array.from({ length: VOCAB }, (_, v) => v).filter((v) => !lookupRows.has(v));
    const decoderPart = maxAbs(word.indexSelect(0, torch.tensor(BigInt64Array.from(decoderOnly.map(BigInt)), { shape: [decoderOnly.length] })));
    assert.ok(decoderPart > 0.05 * maxAbs(word), `rows only the decoder reaches: max|g| ${decoderPart} vs ${maxAbs(word)}`);
    t.diagnostic(`${f.type}: ${chosen.length} masked; loss diff ${dLoss.toExponential(2)}, logits diff ${dLogits.toExponential(2)}; worst gradient ${worst.toFixed(4)} of tolerance (${worstName})`);
  });
}
