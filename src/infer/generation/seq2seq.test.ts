// T5 exported by Lengua (encoder_model.onnx + decoder_model_merged.onnx) on ONNX Runtime: every setting of the
// t5-synth-generate golden (greedy, repetition penalty, no-repeat n-grams, beam search with and without early
// stopping, EOS overrides) gives the golden's ids through the engine-independent search, a right-padded batch of
// sources gives the ids of one by one, and Transformers.js, loading the same folder, generates the same greedy ids.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { golden, skipWithoutGolden as skip } from '../../testing/golden.js';
import { exportToOnnx } from '../../export/index.js';
import { resolveGenerationConfig } from '../../generation/config.js';
import { OnnxSeq2SeqLm } from './onnx-seq2seq.js';
import { goldenGenerationOptions, type GoldenGenerationCase } from './testing.js';
import { generate } from '../../generation/search.js';

const root = mkdtempSync(join(tmpdir(), 'lengua-t5-onnx-'));
const out = join(root, 't5');
let model: OnnxSeq2SeqLm | null = null;
before(async () => {
  if (skip !== false) return;
  await exportToOnnx(golden('fixtures', 't5-synth-seq2seq'), out, { threads: 1 });
  model = await OnnxSeq2SeqLm.load(out, 1);
});
after(async () => {
  await model?.release();
  rmSync(root, { recursive: true, force: true });
});

const manifest = (): { inputs: { encoder_input_ids: number[][] }; cases: GoldenGenerationCase[] } =>
  JSON.parse(readFileSync(golden('models', 't5-synth-generate', 'manifest.json'), 'utf8')) as { inputs: { encoder_input_ids: number[][] }; cases: GoldenGenerationCase[] };

test("t5-synth-generate on ONNX Runtime: every setting's ids exact; a padded batch of sources equals one by one", { skip }, async () => {
  const m = manifest();
  for (const c of m.cases) {
    const config = resolveGenerationConfig(goldenGenerationOptions(c.generate_kwargs));
    for (const [i, source] of m.inputs.encoder_input_ids.entries()) {
      const [got] = await generate(model!.forSources([source]), [[0]], config);
      assert.deepEqual(got!.sequence, c.sequences[i], `${c.setting}, source ${i}`);
    }
    const batched = await generate(model!.forSources(m.inputs.encoder_input_ids), m.inputs.encoder_input_ids.map(() => [0]), config);
    assert.deepEqual(batched.map((g) => g.sequence), c.sequences, `${c.setting}, batched`);
  }
});

test('Transformers.js loads the exported folder and generates the golden greedy ids', { skip }, async () => {
  const { AutoModelForSeq2SeqLM, env, Tensor } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.localModelPath = dirname(out);
  const theirs = await AutoModelForSeq2SeqLM.from_pretrained(basename(out), { dtype: 'fp32', session_options: { intraOpNumThreads: 1 } });
  try {
    const m = manifest();
    const greedy = m.cases.find((c) => c.setting === 'greedy')!;
    for (const [i, source] of m.inputs.encoder_input_ids.entries()) {
      const dims = [1, source.length];
      const ids = await theirs.generate({
        input_ids: new Tensor('int64', BigInt64Array.from(source.map(BigInt)), dims),
        attention_mask: new Tensor('int64', new BigInt64Array(source.length).fill(1n), dims),
        max_length: 20, do_sample: false,
      } as never) as unknown as { tolist(): bigint[][] };
      assert.deepEqual(ids.tolist()[0]!.map(Number), greedy.sequences[i], `source ${i}`);
    }
  } finally {
    await theirs.dispose();
  }
});
