// T5 generation against the t5-synth-generate golden (../shared/golden/models, README-part2.md: current
// GenerationMixin semantics; greedy, repetition penalty, no-repeat n-grams, beam search with and without early
// stopping, length penalty): Lengua's libtorch T5 with its key/value cache, through the same engine-independent
// search as GPT-2, gives every setting's token ids exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as torch from '../torch/index.js';
import { golden, skipWithoutGolden as skip } from '../testing/golden.js';
import { AutoModelForSeq2SeqLM } from '../models/index.js';
import { generate, resolveGenerationConfig } from '../generation/index.js';
import { goldenGenerationOptions, type GoldenGenerationCase } from '../infer/generation/testing.js';
import { torchSeq2SeqLm } from '../models/index.js';

torch.setNumThreads(1);

test("t5-synth-generate: every setting's ids exact on libtorch T5 with its cache", { skip }, async (t) => {
  const manifest = JSON.parse(readFileSync(golden('models', 't5-synth-generate', 'manifest.json'), 'utf8')) as { inputs: { encoder_input_ids: number[][] }; cases: GoldenGenerationCase[] };
  const model = await AutoModelForSeq2SeqLM.fromPretrained(golden('fixtures', 't5-synth-seq2seq'));
  assert.equal(manifest.cases.length, 9);
  const settings: string[] = [];
  for (const c of manifest.cases) {
    const config = resolveGenerationConfig(goldenGenerationOptions(c.generate_kwargs));
    const start = c.generate_kwargs.decoder_start_token_id as number;
    for (const [i, source] of manifest.inputs.encoder_input_ids.entries()) {
      const [got] = await generate(torchSeq2SeqLm(model, [source]), [[start]], config);
      assert.deepEqual(got!.sequence, c.sequences[i], `${c.setting}, source ${i}`);
      if (c.best_hypothesis !== undefined) {
        assert.ok(Math.abs(got!.score! - c.best_hypothesis[i]!.normalized_score) < 20 * 1e-4, `${c.setting}, source ${i}: score ${got!.score}`);
      }
    }
    settings.push(c.setting);
  }
  // The sources of different lengths in one batch (right-padded encoder inputs) give the same ids as one by one.
  const greedy = manifest.cases.find((c) => c.setting === 'greedy')!;
  const batched = await generate(torchSeq2SeqLm(model, manifest.inputs.encoder_input_ids), manifest.inputs.encoder_input_ids.map(() => [0]), resolveGenerationConfig(goldenGenerationOptions(greedy.generate_kwargs)));
  assert.deepEqual(batched.map((g) => g.sequence), greedy.sequences);
  // Marian/mBART-style target-language forcing and BART's forced EOS, through the same loop (greedy and beam).
  for (const numBeams of [1, 3]) {
    const [forced] = await generate(torchSeq2SeqLm(model, [manifest.inputs.encoder_input_ids[0]!]), [[0]], resolveGenerationConfig({ maxLength: 6, numBeams, forcedBosTokenId: 7, forcedEosTokenId: 1, eosTokenId: 1 }));
    assert.equal(forced!.sequence[1], 7, `beams ${numBeams}: forced BOS`);
    assert.equal(forced!.sequence.length, 6, `beams ${numBeams}: ${JSON.stringify(forced!.sequence)}`);
    assert.equal(forced!.sequence[5], 1, `beams ${numBeams}: forced EOS at max_length`);
  }
  t.diagnostic(`settings: ${settings.join(', ')}`);
});
