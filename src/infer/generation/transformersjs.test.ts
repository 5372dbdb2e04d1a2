// Transformers.js (dev dependency, no remote models) loads a folder exported by Lengua and its greedy
// generation — plain, with repetition penalty and with no-repeat n-grams, one prompt and a left-padded batch —
// gives the ids Lengua's text-generation pipeline gives on the same file. Transformers.js runs in a child
// process: it brings its own onnxruntime-node build, which must not share a process with ours.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { golden, REPO_ROOT, skipWithoutGolden } from '../../testing/golden.js';
import { exportToOnnx } from '../../export/index.js';
import { AutoTokenizer } from '../../text/index.js';
import { generate } from '../../generation/search.js';
import { resolveGenerationConfig } from '../../generation/config.js';
import { OnnxCausalLm } from './onnx-decoder.js';
import { TextGenerationPipeline } from './pipeline.js';

const tjsMissing = existsSync(join(REPO_ROOT, 'node_modules', '@huggingface', 'transformers', 'package.json')) ? false : '@huggingface/transformers is not installed (npm ci installs the dev dependencies)';
const skip = skipWithoutGolden !== false ? skipWithoutGolden : tjsMissing;

const TJS = `
import { AutoModelForCausalLM, env, Tensor } from '@huggingface/transformers';
const [root, id, casesJson] = process.argv.slice(1);
env.allowRemoteModels = false;
env.localModelPath = root + '/';
const model = await AutoModelForCausalLM.from_pretrained(id, { dtype: 'fp32', model_file_name: 'decoder_model_merged', session_options: { intraOpNumThreads: 1, interOpNumThreads: 1 } });
const out = [];
for (const c of JSON.parse(casesJson)) {
  const t = (rows) => new Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, rows[0].length]);
  const r = await model.generate({ input_ids: t(c.ids), attention_mask: t(c.mask), ...c.kwargs, do_sample: false });
  out.push(r.tolist().map((row) => row.map(Number)));
}
await model.dispose();
console.log(JSON.stringify(out));
`;

let root = '';
const id = 'gpt2-tiny-export';
before(async () => {
  if (skip !== false) return;
  root = mkdtempSync(join(tmpdir(), 'lengua-tjs-gen-'));
  mkdirSync(join(root, id));
  await exportToOnnx(golden('fixtures', 'gpt2-tiny'), join(root, id), { task: 'text-generation', overwrite: true });
});
after(() => {
  if (root !== '') rmSync(root, { recursive: true, force: true });
});

test('Transformers.js greedy generation on our export gives the ids of Lengua’s pipeline (alone and left-padded)', { skip }, async () => {
  const dir = join(root, id);
  const tok = await AutoTokenizer.fromPretrained(dir);
  const texts = ['Hello there, my friend', 'The', 'A cat sat on'];
  const prompts = texts.map((t) => tok.encode(t, { addSpecialTokens: false }).ids);
  const settings = [
    { lengua: { maxNewTokens: 15 }, tjs: { max_new_tokens: 15 } },
    { lengua: { maxNewTokens: 15, repetitionPenalty: 1.3 }, tjs: { max_new_tokens: 15, repetition_penalty: 1.3 } },
    { lengua: { maxNewTokens: 15, noRepeatNgramSize: 2 }, tjs: { max_new_tokens: 15, no_repeat_ngram_size: 2 } },
  ];
  // Transformers.js pads finished rows with pad_token_id (config: 1023) and keeps going; compare up to max length.
  const cases = settings.flatMap((s) => [
    ...prompts.map((p) => ({ ids: [p], mask: [p.map(() => 1)], kwargs: s.tjs })),
    (() => {
      const len = Math.max(...prompts.map((p) => p.length));
      const pad = (p: number[], v: number) => [...new Array<number>(len - p.length).fill(v), ...p];
      return { ids: prompts.map((p) => pad(p, 1023)), mask: prompts.map((p) => pad(p.map(() => 1), 0)), kwargs: s.tjs };
    })(),
  ]);
  const stdout = execFileSync(process.execPath, ['--input-type=module', '-e', TJS, root, id, JSON.stringify(cases)], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
  const tjs = JSON.parse(stdout.trim().split('\n').at(-1)!) as number[][][];
  const pipe = await TextGenerationPipeline.create(dir, { numThreads: 1 });
  const lm = await OnnxCausalLm.load(dir, 1);
  try {
    let k = 0;
    for (const s of settings) {
      for (const [i, text] of texts.entries()) {
        const [row] = await pipe.generateIds(text, { ...s.lengua, eosTokenId: null });
        assert.deepEqual(row!.ids, tjs[k++]![0], `${JSON.stringify(s.lengua)} prompt ${i}`);
      }
      // The batch through the search with the same padding Transformers.js was given.
      const batched = await generate(lm, prompts, resolveGenerationConfig({ ...s.lengua, eosTokenId: null, padTokenId: 1023 }));
      const want = tjs[k++]!;
      batched.forEach((b, i) => assert.deepEqual(b.generated, want[i]!.slice(-15), `${JSON.stringify(s.lengua)} batch row ${i}`));
    }
  } finally {
    await pipe.dispose();
    await lm.release();
  }
});
