// Token ids EXACT against the generation goldens (../shared/golden/models/gpt2-{synth,tiny}-generate: current
// GenerationMixin semantics, 10 settings each: greedy, repetition penalty, no-repeat n-grams, beam search with and
// without early stopping, length penalty, an EOS override) on the folder exported by Lengua's exporter and run by
// ONNX Runtime with the KV cache; and the same ids from a libtorch session (full recompute, no cache) on the
// same search code, and from Lengua's libtorch greedyGenerate where it applies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { golden, skipWithoutGolden as skip } from '../../testing/golden.js';
import { exportToOnnx } from '../../export/index.js';
import { AutoModelForCausalLM, greedyGenerate, type GPT2LMHeadModel } from '../../models/index.js';
import { resolveGenerationConfig, type GenerationOptions } from './config.js';
import { OnnxCausalLm } from './onnx-decoder.js';
import { generate } from './search.js';
import { TorchCausalLm } from './testing.js';

interface Case {
  setting: string;
  generate_kwargs: Record<string, unknown>;
  sequences: number[][];
  best_hypothesis?: Array<{ normalized_score: number }>;
}

function optionsOf(k: Record<string, unknown>): GenerationOptions {
  return {
    maxLength: k.max_length as number,
    doSample: false,
    numBeams: k.num_beams as number,
    numReturnSequences: k.num_return_sequences as number,
    repetitionPenalty: k.repetition_penalty as number,
    noRepeatNgramSize: k.no_repeat_ngram_size as number,
    eosTokenId: k.eos_token_id as number,
    padTokenId: k.pad_token_id as number,
    ...(k.length_penalty !== undefined ? { lengthPenalty: k.length_penalty as number } : {}),
    ...(k.early_stopping !== undefined ? { earlyStopping: k.early_stopping as boolean } : {}),
  };
}

for (const [name, fixture] of [
  ['gpt2-synth-generate', 'gpt2-synth-lm'],
  ['gpt2-tiny-generate', 'gpt2-tiny'],
] as const) {
  test(`${name}: every setting's ids exact on ONNX Runtime (KV cache) and on libtorch through the same search`, { skip }, async () => {
    const manifest = JSON.parse(readFileSync(golden('models', name, 'manifest.json'), 'utf8')) as { inputs: { prompts: number[][] }; cases: Case[] };
    const out = mkdtempSync(join(tmpdir(), 'lengua-gen-'));
    try {
      const model = (await AutoModelForCausalLM.fromPretrained(golden('fixtures', fixture))) as GPT2LMHeadModel;
      model.eval();
      await exportToOnnx(model, out, { task: 'text-generation', overwrite: true });
      const onnx = await OnnxCausalLm.load(out, 1);
      const torch = TorchCausalLm(model);
      assert.equal(manifest.cases.length, 10);
      for (const c of manifest.cases) {
        const config = resolveGenerationConfig(optionsOf(c.generate_kwargs));
        for (const [i, prompt] of manifest.inputs.prompts.entries()) {
          const [got] = await generate(onnx, [prompt], config);
          assert.deepEqual(got!.sequence, c.sequences[i], `${c.setting}, prompt ${i} (ONNX Runtime)`);
          if (c.best_hypothesis !== undefined) {
            // float32 sums of ≤ 17 log-probs: agree to the goldens' logits tolerance times the length.
            assert.ok(Math.abs(got!.score! - c.best_hypothesis[i]!.normalized_score) < 17 * 1e-4, `${c.setting}, prompt ${i}: score ${got!.score}`);
          }
          const [viaTorch] = await generate(torch, [prompt], config);
          assert.deepEqual(viaTorch!.sequence, c.sequences[i], `${c.setting}, prompt ${i} (libtorch)`);
          if (c.setting === 'greedy' || c.setting === 'greedy_eos852') {
            const eos = c.generate_kwargs.eos_token_id as number;
            assert.deepEqual(greedyGenerate(model, prompt, { maxNewTokens: 20 - prompt.length, eosTokenId: eos }), c.sequences[i]);
          }
        }
      }
      await onnx.release();
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
}
