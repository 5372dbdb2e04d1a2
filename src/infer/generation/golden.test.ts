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
import { resolveGenerationConfig } from '../../generation/config.js';
import { OnnxCausalLm } from './onnx-decoder.js';
import { generate } from '../../generation/search.js';
import { goldenGenerationOptions, TorchCausalLm, type GoldenGenerationCase } from './testing.js';

for (const [name, fixture] of [
  ['gpt2-synth-generate', 'gpt2-synth-lm'],
  ['gpt2-tiny-generate', 'gpt2-tiny'],
] as const) {
  test(`${name}: every setting's ids exact on ONNX Runtime (KV cache) and on libtorch through the same search`, { skip }, async () => {
    const manifest = JSON.parse(readFileSync(golden('models', name, 'manifest.json'), 'utf8')) as { inputs: { prompts: number[][] }; cases: GoldenGenerationCase[] };
    const out = mkdtempSync(join(tmpdir(), 'lengua-gen-'));
    try {
      const model = (await AutoModelForCausalLM.fromPretrained(golden('fixtures', fixture))) as GPT2LMHeadModel;
      model.eval();
      await exportToOnnx(model, out, { task: 'text-generation', overwrite: true });
      const onnx = await OnnxCausalLm.load(out, 1);
      const torch = TorchCausalLm(model);
      assert.equal(manifest.cases.length, 10);
      for (const c of manifest.cases) {
        const config = resolveGenerationConfig(goldenGenerationOptions(c.generate_kwargs));
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
