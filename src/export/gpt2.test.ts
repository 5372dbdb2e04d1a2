// GPT-2 ONNX export: text-generation as Optimum's merged decoder with a KV cache
// (onnx/decoder_model_merged.onnx, the contract in README.md) and feature-extraction (GPT2Model). Every
// GPT-2 fixture exports and validates against libtorch (full forward and incremental decoding,
// right- and left-padded, ≤ 1e-4); ONNX Runtime reproduces the transformers goldens with and without the
// cache; the session has exactly the contract's names, types and symbolic dims; Transformers.js loads the
// folder and its greedy generation gives the golden ids; Debian's python3-onnx checker accepts the files.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import * as torch from '../torch/index.js';
import { LenguaError } from '../errors.js';
import { AutoModel, AutoModelForCausalLM, logger } from '../models/index.js';
import { golden, skipWithoutGolden } from '../testing/golden.js';
import { exportToOnnx, positionIdsFromMask, type ExportResult } from './index.js';
import { goldenTensors, onnxChecker, skipChecker } from './testing.js';

torch.setNumThreads(1);
const TOL = 1e-4;
const root = mkdtempSync(join(tmpdir(), 'lengua-export-gpt2-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const outDir = (name: string): string => join(root, `${name}-${n++}`);
const exported: string[] = [];
const measured: string[] = [];

/** fixture, golden of its LM logits, --task to ask (gpt2-tiny is a GPT2Model folder: its LM head is the tied wte). */
const LMS = [
  { fixture: 'gpt2-tiny', golden: 'gpt2-tiny-lm', task: 'text-generation' as const },
  { fixture: 'gpt2-synth-lm', golden: 'gpt2-synth-lm', task: 'auto' as const },
  { fixture: 'gpt2-fake-lmbuddy', golden: 'gpt2-fake-lmbuddy-lm', task: 'auto' as const },
];

const results = new Map<string, ExportResult>();
async function exportLm(fixture: string, task: 'auto' | 'text-generation'): Promise<ExportResult> {
  const known = results.get(fixture);
  if (known !== undefined) return known;
  const r = await exportToOnnx(golden('fixtures', fixture), outDir(fixture), { task, threads: 1 });
  exported.push(r.onnxFile);
  results.set(fixture, r);
  for (const c of r.validation.cases) {
    measured.push(`${fixture} ${c.decoding!.mode} ${c.decoding!.padding}-padded ${c.batch}×${c.sequenceLength}: max |ORT - libtorch| ${c.maxAbsDiff.toExponential(2)}`);
  }
  return r;
}

function int64(rows: number[][]): ort.Tensor {
  return new ort.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, rows[0]?.length ?? 0]);
}

test('every GPT-2 LM fixture exports as text-generation to onnx/decoder_model_merged.onnx and validates: full forward and KV-cache decoding, right and left padding, ≤ 1e-4', { skip: skipWithoutGolden }, async () => {
  for (const { fixture, task } of LMS) {
    const r = await exportLm(fixture, task);
    assert.equal(r.task, 'text-generation');
    assert.equal(r.architecture, 'GPT2LMHeadModel');
    assert.equal(r.onnxFile, join(r.outDir, 'onnx', 'decoder_model_merged.onnx'));
    assert.ok(existsSync(r.onnxFile) && !existsSync(join(r.outDir, 'onnx', 'model.onnx')));
    assert.ok(r.validation.maxAbsDiff <= TOL, `${fixture}: ${r.validation.maxAbsDiff}`);
    const kinds = new Set(r.validation.cases.map((c) => `${c.decoding!.mode}/${c.decoding!.padding}`));
    assert.deepEqual([...kinds].sort(), ['full/left', 'full/right', 'incremental/left', 'incremental/right']);
    assert.ok(r.validation.cases.some((c) => c.decoding!.mode === 'incremental' && c.decoding!.prefix < c.sequenceLength), 'decoded one token at a time after the prompt');
    const cfg = JSON.parse(readFileSync(join(r.outDir, 'config.json'), 'utf8')) as { architectures: string[]; model_type: string };
    assert.deepEqual(cfg.architectures, ['GPT2LMHeadModel']);
    assert.ok(existsSync(join(r.outDir, 'tokenizer.json')));
  }
});

test('the decoder has exactly the contract inputs and outputs, types and symbolic dims, at opset 17', { skip: skipWithoutGolden }, async () => {
  const r = await exportLm('gpt2-synth-lm', 'auto');
  const layers = 2;
  const heads = 4;
  const d = 8;
  const s = await ort.InferenceSession.create(r.onnxFile);
  const past = Array.from({ length: layers }, (_, i) => [`past_key_values.${i}.key`, `past_key_values.${i}.value`]).flat();
  assert.deepEqual(s.inputNames, ['input_ids', 'attention_mask', 'position_ids', ...past, 'use_cache_branch']);
  assert.deepEqual(s.outputNames, ['logits', ...Array.from({ length: layers }, (_, i) => [`present.${i}.key`, `present.${i}.value`]).flat()]);
  await s.release();
  const proto = onnxProto.onnx.ModelProto.decode(readFileSync(r.onnxFile));
  assert.deepEqual(proto.opsetImport!.map((o) => [o.domain, Number(o.version)]), [['', 17]]);
  const T = onnxProto.onnx.TensorProto.DataType;
  const sig = (v: onnxProto.onnx.IValueInfoProto): [string, number, Array<string | number>] => [
    v.name!, v.type!.tensorType!.elemType!, v.type!.tensorType!.shape!.dim!.map((x) => (typeof x.dimParam === 'string' && x.dimParam !== '' ? x.dimParam : Number(x.dimValue))),
  ];
  const inputs = proto.graph!.input!.map(sig);
  assert.deepEqual(inputs[0], ['input_ids', T.INT64, ['batch_size', 'sequence_length']]);
  assert.deepEqual(inputs[1], ['attention_mask', T.INT64, ['batch_size', 'past_sequence_length + sequence_length']]);
  assert.deepEqual(inputs[2], ['position_ids', T.INT64, ['batch_size', 'sequence_length']]);
  assert.deepEqual(inputs[3], ['past_key_values.0.key', T.FLOAT, ['batch_size', heads, 'past_sequence_length', d]]);
  assert.deepEqual(inputs.at(-1), ['use_cache_branch', T.BOOL, [1]]);
  const outputs = proto.graph!.output!.map(sig);
  assert.deepEqual(outputs[0], ['logits', T.FLOAT, ['batch_size', 'sequence_length', 1024]]);
  assert.deepEqual(outputs[1], ['present.0.key', T.FLOAT, ['batch_size', heads, 'past_sequence_length + sequence_length', d]]);
  // The LM head reads wte itself (tied): the [vocab, n_embd] table is stored once.
  assert.deepEqual(proto.graph!.initializer!.filter((i) => i.dims!.map(Number).includes(1024)).map((i) => i.name), ['transformer.wte.weight']);
});

test('ONNX Runtime reproduces the transformers golden logits with an empty cache and decoding token by token with the cache', { skip: skipWithoutGolden }, async () => {
  for (const lm of LMS) {
    const r = await exportLm(lm.fixture, lm.task);
    const g = goldenTensors(lm.golden);
    const ids = g.ints('inputs.input_ids');
    const mask = g.ints('inputs.attention_mask');
    const pos = g.ints('inputs.position_ids');
    const want = g.floats('logits');
    const [b, len, vocab] = want.shape as [number, number, number];
    const cfg = JSON.parse(readFileSync(join(r.outDir, 'config.json'), 'utf8')) as { n_layer: number; n_head: number; n_embd: number };
    const s = await ort.InferenceSession.create(r.onnxFile, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    const cut = (rows: number[][], a: number, z: number): number[][] => rows.map((row) => row.slice(a, z));
    const run = async (a: number, z: number, past: ort.InferenceSession.OnnxValueMapType | null): Promise<ort.InferenceSession.OnnxValueMapType> => {
      const feeds: Record<string, ort.Tensor> = {
        input_ids: int64(cut(ids, a, z)), attention_mask: int64(cut(mask, 0, z)), position_ids: int64(cut(pos, a, z)),
        use_cache_branch: new ort.Tensor('bool', [past !== null], [1]),
      };
      for (let i = 0; i < cfg.n_layer; i++) {
        for (const kv of ['key', 'value']) {
          feeds[`past_key_values.${i}.${kv}`] = (past?.[`present.${i}.${kv}`] as ort.Tensor | undefined)
            ?? new ort.Tensor('float32', new Float32Array(0), [b, cfg.n_head, 0, cfg.n_embd / cfg.n_head]);
        }
      }
      return s.run(feeds);
    };
    const diff = (got: Float32Array, a: number, z: number, onlyReal: boolean): number => {
      let m = 0;
      for (let row = 0; row < b; row++) {
        for (let t = a; t < z; t++) {
          if (onlyReal && mask[row]![t] === 0) continue;
          for (let v = 0; v < vocab; v++) m = Math.max(m, Math.abs(got[(row * (z - a) + t - a) * vocab + v]! - want.data[(row * len + t) * vocab + v]!));
        }
      }
      return m;
    };
    try {
      const full = diff((await run(0, len, null)).logits!.data as Float32Array, 0, len, false);
      // Incremental: a 3-token prompt, then one token per step, present → past.
      let out = await run(0, 3, null);
      let inc = diff(out.logits!.data as Float32Array, 0, 3, true);
      for (let t = 3; t < len; t++) {
        out = await run(t, t + 1, out);
        inc = Math.max(inc, diff(out.logits!.data as Float32Array, t, t + 1, true));
      }
      assert.deepEqual((out['present.0.key'] as ort.Tensor).dims, [b, cfg.n_head, len, cfg.n_embd / cfg.n_head]);
      measured.push(`${lm.golden}: max |ORT - transformers| ${full.toExponential(2)} with an empty cache, ${inc.toExponential(2)} decoding with the cache`);
      assert.ok(full <= TOL && inc <= TOL, `${lm.golden}: ${full}, ${inc}`);
    } finally {
      await s.release();
    }
  }
});

test('left padding: position ids from the mask (cumsum - 1, pads 1) give each row the logits it has alone, with and without the cache', { skip: skipWithoutGolden }, async () => {
  assert.deepEqual(positionIdsFromMask([0, 0, 1, 1, 0, 1]), [1, 1, 0, 1, 1, 2]);
  const r = await exportLm('gpt2-synth-lm', 'auto');
  const s = await ort.InferenceSession.create(r.onnxFile, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const empty = (b: number): Record<string, ort.Tensor> => Object.fromEntries(
    [0, 1].flatMap((i) => ['key', 'value'].map((kv) => [`past_key_values.${i}.${kv}`, new ort.Tensor('float32', new Float32Array(0), [b, 4, 0, 8])])),
  );
  const rowAlone = [52, 258, 818, 736];
  try {
    const alone = (await s.run({ input_ids: int64([rowAlone]), attention_mask: int64([[1, 1, 1, 1]]), position_ids: int64([[0, 1, 2, 3]]), use_cache_branch: new ort.Tensor('bool', [false], [1]), ...empty(1) })).logits!.data as Float32Array;
    const mask = [[0, 0, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1]];
    const ids = [[0, 0, ...rowAlone], [40, 479, 79, 269, 813, 1]];
    const batch = (await s.run({ input_ids: int64(ids), attention_mask: int64(mask), position_ids: int64(mask.map(positionIdsFromMask)), use_cache_branch: new ort.Tensor('bool', [false], [1]), ...empty(2) })).logits!.data as Float32Array;
    let d = 0;
    for (let t = 0; t < 4; t++) for (let v = 0; v < 1024; v++) d = Math.max(d, Math.abs(batch[(2 + t) * 1024 + v]! - alone[t * 1024 + v]!));
    measured.push(`gpt2-synth-lm left-padded row vs the same row alone: max diff ${d.toExponential(2)}`);
    assert.ok(d <= TOL, `${d}`);
  } finally {
    await s.release();
  }
});

test('feature-extraction: GPT2Model folders export last_hidden_state, which equals the transformers golden (after ln_f)', { skip: skipWithoutGolden }, async () => {
  for (const [fixture, gold, task] of [['gpt2-tiny', 'gpt2-tiny-lm', 'auto'], ['gpt2-synth-lm', 'gpt2-synth-lm', 'feature-extraction']] as const) {
    const r = await exportToOnnx(golden('fixtures', fixture), outDir(`${fixture}-fe`), { task, threads: 1 });
    exported.push(r.onnxFile);
    assert.equal(r.task, 'feature-extraction');
    assert.equal(r.architecture, 'GPT2Model');
    assert.deepEqual(r.inputs.map((i) => i.name), ['input_ids', 'attention_mask']);
    assert.deepEqual(r.outputs, [{ name: 'last_hidden_state', type: 'float32', dims: ['batch_size', 'sequence_length', 32] }]);
    assert.ok(r.validation.maxAbsDiff <= TOL);
    const g = goldenTensors(gold);
    // The goldens' positions are 0…s-1 on every row (right padding), the graph's own default.
    assert.ok(g.ints('inputs.position_ids').every((row) => row.every((p, j) => p === j)));
    const s = await ort.InferenceSession.create(r.onnxFile, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    const got = (await s.run({ input_ids: int64(g.ints('inputs.input_ids')), attention_mask: int64(g.ints('inputs.attention_mask')) })).last_hidden_state!.data as Float32Array;
    await s.release();
    const want = g.floats('last_hidden_state').data;
    let d = 0;
    for (let i = 0; i < want.length; i++) d = Math.max(d, Math.abs(got[i]! - want[i]!));
    measured.push(`${fixture} feature-extraction: max |ORT - transformers last_hidden_state| ${d.toExponential(2)}; vs libtorch ${r.validation.maxAbsDiff.toExponential(2)}`);
    assert.ok(d <= TOL, `${fixture}: ${d}`);
  }
});

test('a GPT2LMHeadModel object exports; an untied lm_head is exported as its own weight; GPT2Model cannot be exported for text-generation', { skip: skipWithoutGolden }, async () => {
  const { result: lm } = await logger.captureAsync(() => AutoModelForCausalLM.fromPretrained(golden('fixtures', 'gpt2-synth-lm'), { configOverrides: { tie_word_embeddings: false }, seed: 3 }));
  assert.ok(lm.lm_head !== null);
  const r = await exportToOnnx(lm, outDir('gpt2-untied'), { threads: 1 });
  exported.push(r.onnxFile);
  assert.equal(r.task, 'text-generation');
  assert.ok(r.validation.maxAbsDiff <= TOL);
  const proto = onnxProto.onnx.ModelProto.decode(readFileSync(r.onnxFile));
  assert.ok(proto.graph!.initializer!.some((i) => i.name === 'lm_head.weight.T'));
  const { result: base } = await logger.captureAsync(() => AutoModel.fromPretrained(golden('fixtures', 'gpt2-synth-lm')));
  await assert.rejects(exportToOnnx(base, outDir('gpt2-base-as-lm'), { task: 'text-generation' }), (e: unknown) => e instanceof LenguaError && /GPT2Model has no causal-LM head/.test(e.message));
});

/**
 * Runs in a child process: Transformers.js brings its own onnxruntime-node (1.30), whose binding cannot
 * load beside the 1.31 library this process already holds.
 */
const TJS_GENERATE = `
import { AutoModelForCausalLM, env, Tensor } from '@huggingface/transformers';
const [root, id, batchesJson] = process.argv.slice(1);
env.allowRemoteModels = false;
env.localModelPath = root + '/';
const model = await AutoModelForCausalLM.from_pretrained(id, { dtype: 'fp32', model_file_name: 'decoder_model_merged', session_options: { intraOpNumThreads: 1, interOpNumThreads: 1 } });
const out = [];
for (const { ids, mask, maxNewTokens } of JSON.parse(batchesJson)) {
  const t = (rows) => new Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, rows[0].length]);
  const r = await model.generate({ input_ids: t(ids), attention_mask: t(mask), max_new_tokens: maxNewTokens, do_sample: false });
  out.push(r.tolist().map((row) => row.map(Number)));
}
await model.dispose();
console.log(JSON.stringify(out));
`;

test('Transformers.js loads the exported folder (AutoModelForCausalLM, decoder_model_merged) and its greedy generation gives the golden ids, alone and left-padded in a batch', { skip: skipWithoutGolden }, async () => {
  for (const [fixture, gold] of [['gpt2-synth-lm', 'gpt2-synth-generate'], ['gpt2-tiny', 'gpt2-tiny-generate']] as const) {
    const r = await exportLm(fixture, fixture === 'gpt2-tiny' ? 'text-generation' : 'auto');
    // Transformers.js resolves a local model as <localModelPath>/<id>.
    const local = join(root, `tjs-${fixture}`);
    cpSync(r.outDir, join(local, fixture), { recursive: true });
    const g = goldenTensors(gold);
    const prompts = (JSON.parse(readFileSync(golden('models', gold, 'manifest.json'), 'utf8')) as { inputs: { prompts: number[][] } }).inputs.prompts;
    const want = prompts.map((_, i) => g.ints(`greedy.${i}`)[0]!);
    const batches = prompts.map((p, i) => ({ ids: [p], mask: [p.map(() => 1)], maxNewTokens: want[i]!.length - p.length }));
    // The longest and the shortest prompt together, the short one left-padded (pad 0, mask 0).
    const [long, short] = [0, prompts.length - 1].map((i) => prompts[i]!) as [number[], number[]];
    const padLen = long.length - short.length;
    const newTokens = want[0]!.length - long.length;
    batches.push({ ids: [long, [...Array<number>(padLen).fill(0), ...short]], mask: [long.map(() => 1), [...Array<number>(padLen).fill(0), ...short.map(() => 1)]], maxNewTokens: newTokens });
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', TJS_GENERATE, local, fixture, JSON.stringify(batches)], { encoding: 'utf8', cwd: process.cwd() });
    assert.equal(child.status, 0, child.stderr);
    const got = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as number[][][];
    prompts.forEach((_, i) => assert.deepEqual(got[i], [want[i]], `${fixture} prompt ${i} alone`));
    const batched = got.at(-1)!;
    assert.deepEqual(batched[0], want[0], `${fixture}: the long prompt in the batch`);
    // The padded row continues as the short prompt does alone, for as many new tokens as the batch made.
    assert.deepEqual(batched[1]!.slice(padLen), want.at(-1)!.slice(0, short.length + newTokens), `${fixture}: the left-padded prompt in the batch`);
    measured.push(`${fixture}: Transformers.js greedy generation = the golden ids (${prompts.length} prompts alone, 2 in a left-padded batch)`);
  }
});

test('python3-onnx onnx.checker (full_check) accepts every GPT-2 file', { skip: skipChecker }, (t) => {
  assert.ok(exported.length >= 5, `only ${exported.length} files exported`);
  const res = onnxChecker(exported);
  assert.deepEqual(res.bad, {});
  t.diagnostic(`onnx ${res.version} checker accepted ${res.checked} files`);
});

test('measured differences (diagnostics)', (t) => {
  for (const line of measured) t.diagnostic(line);
});
