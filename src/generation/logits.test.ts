// The logits processors on small rows whose answers follow from transformers' definitions, the options'
// resolution (defaults < model file < call), and the seeded sampler.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LenguaError } from '../errors.js';
import { optionsFromJson, resolveGenerationConfig } from './config.js';
import { buildProcessors, logSoftmax } from './logits.js';
import { generate, leftPad, SeededRandom, type CausalLm } from './search.js';

function run(opts: Parameters<typeof resolveGenerationConfig>[0], ids: number[], scores: number[], promptLength = 0): number[] {
  const row = Float32Array.from(scores);
  for (const p of buildProcessors(resolveGenerationConfig(opts), promptLength)) p(ids, row);
  return [...row];
}

test('repetition penalty divides positive and multiplies negative scores of tokens already present (prompt included)', () => {
  assert.deepEqual(run({ repetitionPenalty: 2 }, [0, 1, 1], [2, -2, 1]), [1, -4, 1]);
});

test('no-repeat n-grams ban the token that would complete an n-gram the row holds', () => {
  assert.deepEqual(run({ noRepeatNgramSize: 2 }, [1, 2, 1], [0, 0, 0, 0]), [0, 0, -Infinity, 0]);
  assert.deepEqual(run({ noRepeatNgramSize: 3 }, [1, 2, 3, 1, 2], [0, 0, 0, 0]), [0, 0, 0, -Infinity]);
  assert.deepEqual(run({ noRepeatNgramSize: 3 }, [1, 2], [0, 0, 0, 0]), [0, 0, 0, 0]);
});

test('forced BOS: only the first token after the decoder start; forced EOS: only the last token before maxLength', () => {
  const forced = (opts: Parameters<typeof resolveGenerationConfig>[0], ids: number[], maxLength: number): number[] => {
    const row = Float32Array.from([0.5, 1, 2, 3]);
    for (const p of buildProcessors(resolveGenerationConfig(opts), 1, maxLength)) p(ids, row);
    return [...row];
  };
  assert.deepEqual(forced({ forcedBosTokenId: 2 }, [0], 20), [-Infinity, -Infinity, 0, -Infinity]);
  assert.deepEqual(forced({ forcedBosTokenId: 2 }, [0, 5], 20), [0.5, 1, 2, 3]);
  assert.deepEqual(forced({ forcedEosTokenId: 1 }, [0, 5, 6], 4), [-Infinity, 0, -Infinity, -Infinity]);
  assert.deepEqual(forced({ forcedEosTokenId: 1 }, [0, 5], 4), [0.5, 1, 2, 3]);
  assert.deepEqual(optionsFromJson({ forced_bos_token_id: 3, forced_eos_token_id: 2, decoder_start_token_id: 0 }, 'generation_config.json'), { forcedBosTokenId: 3, forcedEosTokenId: 2, decoderStartTokenId: 0 });
  assert.throws(() => resolveGenerationConfig({ forcedBosTokenId: -1 }), (e: unknown) => e instanceof LenguaError && e.field === 'forcedBosTokenId');
});

test('bad words: a one-token word is always banned, a longer one when the row ends with its prefix', () => {
  assert.deepEqual(run({ badWordsIds: [[3], [1, 2]] }, [0, 1], [0, 0, 0, 0]), [0, 0, -Infinity, -Infinity]);
  assert.deepEqual(run({ badWordsIds: [[3], [1, 2]] }, [1, 0], [0, 0, 0, 0]), [0, 0, 0, -Infinity]);
});

test('min length counts the prompt, min new tokens does not; both only ban EOS', () => {
  assert.deepEqual(run({ minLength: 3, eosTokenId: [1, 2] }, [0, 0], [0, 0, 0]), [0, -Infinity, -Infinity]);
  assert.deepEqual(run({ minLength: 3, eosTokenId: 1 }, [0, 0, 0], [0, 0, 0]), [0, 0, 0]);
  assert.deepEqual(run({ minNewTokens: 2, eosTokenId: 1 }, [0, 0, 0], [0, 0, 0], 2), [0, -Infinity, 0]);
  assert.deepEqual(run({ minNewTokens: 2, eosTokenId: 1 }, [0, 0, 0, 0], [0, 0, 0], 2), [0, 0, 0]);
});

test('temperature, top-k (ties with the k-th kept) and top-p apply only when sampling, in that order', () => {
  assert.deepEqual(run({ temperature: 2, topK: 0 }, [], [2, 4]), [2, 4]);
  assert.deepEqual(run({ doSample: true, temperature: 2, topK: 0 }, [], [2, 4]), [1, 2]);
  assert.deepEqual(run({ doSample: true, topK: 2 }, [], [3, 1, 2, 2]), [3, -Infinity, 2, 2]);
  // probabilities 0.5, 0.3, 0.2: top-p 0.75 drops 0.2 (cumulative 0.2 ≤ 0.25) and keeps 0.3 (0.5 > 0.25).
  const logp = [Math.log(0.5), Math.log(0.3), Math.log(0.2)];
  assert.deepEqual(run({ doSample: true, topK: 0, topP: 0.75 }, [], logp).map((x) => x === -Infinity), [false, false, true]);
  // Even a tiny top-p keeps the most likely token.
  assert.deepEqual(run({ doSample: true, topK: 0, topP: 1e-9 }, [], logp).map((x) => x === -Infinity), [false, true, true]);
});

test('log_softmax rows sum to probability 1 in float32', () => {
  const l = logSoftmax(Float32Array.from([1, 2, 3, -50]));
  const s = [...l].reduce((a, x) => a + Math.exp(x), 0);
  assert.ok(Math.abs(s - 1) < 4 * 2 ** -23, String(s));
});

test('options resolve as transformers: defaults < model file < call; max_new_tokens wins over max_length', () => {
  const file = optionsFromJson({ max_length: 50, num_beams: 4, top_k: null, eos_token_id: [1, 2], transformers_version: '4.40' }, 'generation_config.json');
  const c = resolveGenerationConfig(file, { numBeams: 2, maxNewTokens: 5 });
  assert.equal(c.numBeams, 2);
  assert.equal(c.topK, 50);
  assert.deepEqual(c.eosTokenIds, [1, 2]);
  assert.equal(c.maxLength, 50);
  assert.equal(c.maxNewTokens, 5);
  assert.equal(resolveGenerationConfig({ maxNewTokens: 5 }, { maxLength: 9 }).maxNewTokens, null);
  assert.deepEqual(optionsFromJson({ eos_token_id: 7, num_beams: 3 }, 'config.json', true), { eosTokenId: 7 });
  assert.throws(() => optionsFromJson({ temperature: -1 }, '/m/generation_config.json'), (e: unknown) => e instanceof LenguaError && e.field === 'temperature' && e.file === '/m/generation_config.json');
  assert.throws(() => resolveGenerationConfig({ doSample: true, numBeams: 2 }), (e: unknown) => e instanceof LenguaError && e.field === 'numBeams');
  assert.throws(() => resolveGenerationConfig({ numBeams: 2, numReturnSequences: 3 }), (e: unknown) => e instanceof LenguaError && e.field === 'numReturnSequences');
  assert.throws(() => resolveGenerationConfig({ topP: 1.5 }), (e: unknown) => e instanceof LenguaError && e.field === 'topP');
  assert.throws(() => resolveGenerationConfig({ stopStrings: [''] }), (e: unknown) => e instanceof LenguaError && e.field === 'stopStrings[0]');
});

test('left padding: positions are cumsum(mask) − 1 with padding at 1, as transformers computes them', () => {
  assert.deepEqual(leftPad([[7, 8, 9], [5]], 0), { ids: [[7, 8, 9], [0, 0, 5]], mask: [[1, 1, 1], [0, 0, 1]], positions: [[0, 1, 2], [1, 1, 0]] });
});

test('the seeded sampler repeats per seed and is uniform (mean within 5 standard errors of 1/2)', () => {
  const a = new SeededRandom(42);
  const b = new SeededRandom(42);
  const xs = Array.from({ length: 10_000 }, () => a.next());
  assert.deepEqual(xs.slice(0, 50), Array.from({ length: 50 }, () => b.next()));
  assert.notEqual(new SeededRandom(43).next(), xs[0]);
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 5 * Math.sqrt(1 / 12 / xs.length), String(mean));
  assert.ok(xs.every((x) => x >= 0 && x < 1));
});

test('sampling draws tokens in proportion to softmax(scores) (a fixed 3-token model, chi-square at p = 0.001)', async () => {
  const logits = Float32Array.from([Math.log(0.6), Math.log(0.3), Math.log(0.1)]);
  const model: CausalLm = {
    vocabSize: 3,
    maxPositions: 10_000,
    start: () => ({ step: (s) => Promise.resolve(Float32Array.from({ length: s.ids.length * 3 }, (_, i) => logits[i % 3]!)), reorder: () => {}, close: () => {} }),
  };
  const rows = await generate(model, [[0]], resolveGenerationConfig({ doSample: true, topK: 0, maxNewTokens: 3000, seed: 1 }));
  const counts = [0, 0, 0];
  for (const t of rows[0]!.generated) counts[t]!++;
  const chi = [0.6, 0.3, 0.1].reduce((s, p, i) => s + (counts[i]! - 3000 * p) ** 2 / (3000 * p), 0);
  assert.ok(chi < 13.82, `chi-square ${chi.toFixed(2)} for ${counts.join('/')}`); // 2 degrees of freedom
});
