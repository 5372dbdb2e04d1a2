// The text-generation pipeline end to end on a folder exported by Lengua (gpt2-tiny: real byte-level BPE
// tokenizer): the worker's answers equal the in-process search, batched left-padded prompts equal each prompt
// alone, streaming yields the same tokens and text, seeded sampling repeats, stop strings end a row, the event
// loop runs while a request decodes, and bad input is a LenguaError naming the option.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { golden, skipWithoutGolden as skip } from '../../testing/golden.js';
import { exportToOnnx } from '../../export/index.js';
import { AutoTokenizer, type PreTrainedTokenizer } from '../../text/index.js';
import { LenguaError } from '../../errors.js';
import { resolveGenerationConfig } from '../../generation/config.js';
import { OnnxCausalLm } from './onnx-decoder.js';
import { generate } from '../../generation/search.js';
import { TextGenerationPipeline } from './pipeline.js';

let dir = '';
let tok: PreTrainedTokenizer;
let lm: OnnxCausalLm;
let pipe: Awaited<ReturnType<typeof TextGenerationPipeline.create>>;
const prompts = ['Hello there, my friend', 'The', 'A cat sat on'];

before(async () => {
  if (skip !== false) return;
  dir = mkdtempSync(join(tmpdir(), 'lengua-genpipe-'));
  await exportToOnnx(golden('fixtures', 'gpt2-tiny'), dir, { task: 'text-generation', overwrite: true });
  tok = await AutoTokenizer.fromPretrained(dir);
  lm = await OnnxCausalLm.load(dir, 1);
  pipe = await TextGenerationPipeline.create(dir, { numThreads: 1 });
});

after(async () => {
  if (skip !== false) return;
  await pipe.dispose();
  await lm.release();
  rmSync(dir, { recursive: true, force: true });
});

const ids = (t: string): number[] => tok.encode(t, { addSpecialTokens: false }).ids;

test('greedy and beam answers from the worker equal the in-process search; generated_text is prompt + decoded new tokens', { skip }, async () => {
  for (const opts of [{ maxNewTokens: 12 }, { maxNewTokens: 10, numBeams: 3, numReturnSequences: 2, repetitionPenalty: 1.2 }]) {
    const rows = await pipe.generateIds(prompts[0]!, opts);
    const want = await generate(lm, [ids(prompts[0]!)], resolveGenerationConfig({ eosTokenId: 0, bosTokenId: 0, padTokenId: 1023 }, opts));
    assert.deepEqual(rows.map((r) => r.ids), want.map((w) => w.sequence));
    const out = await pipe(prompts[0]!, opts);
    assert.equal(out.length, opts.numReturnSequences ?? 1);
    assert.deepEqual(out.map((o) => o.generated_text), want.map((w) => prompts[0] + tok.decode(w.generated, { skipSpecialTokens: true })));
    const short = await pipe(prompts[0]!, { ...opts, returnFullText: false });
    assert.deepEqual(short.map((o) => prompts[0] + o.generated_text), out.map((o) => o.generated_text));
  }
});

test('batched prompts (left padding, one cache) give each prompt the ids it gets alone, greedy and beam', { skip }, async () => {
  for (const opts of [{ maxNewTokens: 8 }, { maxNewTokens: 6, numBeams: 4 }]) {
    const batched = await generate(lm, prompts.map(ids), resolveGenerationConfig({ eosTokenId: null }, opts));
    for (const [i, p] of prompts.entries()) {
      const [alone] = await generate(lm, [ids(p)], resolveGenerationConfig({ eosTokenId: null }, opts));
      // The padded prompt is longer: alone, a row generates until the same max_length counted from the padded length.
      assert.deepEqual(batched[i]!.generated, alone!.generated, `${JSON.stringify(opts)} prompt ${i}`);
    }
    const viaPipe = await pipe(prompts, { ...opts, eosTokenId: null });
    assert.equal(viaPipe.length, 3);
    assert.deepEqual(viaPipe.map((r) => r[0]!.generated_text), batched.map((b, i) => prompts[i] + tok.decode(b.generated, { skipSpecialTokens: true })));
  }
});

test('stream() yields the tokens of run() one by one, and their texts join to the generated text', { skip }, async () => {
  const opts = { maxNewTokens: 15, eosTokenId: null };
  const [row] = await pipe.generateIds('Hello', opts);
  const got: number[] = [];
  let text = '';
  for await (const t of pipe.stream('Hello', opts)) {
    if (t.token !== null) got.push(t.token);
    text += t.text;
  }
  assert.deepEqual(got, row!.generatedIds);
  // gpt2-tiny's random weights emit byte tokens that form no UTF-8 character: held back, flushed at the end.
  assert.equal(text, row!.text);
  await assert.rejects(async () => {
    for await (const _ of pipe.stream('Hello', { numBeams: 2 })) void _;
  }, (e: unknown) => e instanceof LenguaError && e.field === 'numBeams');
});

test('seeded sampling repeats; another seed or temperature changes it; topK 1 is greedy', { skip }, async () => {
  const opts = { maxNewTokens: 20, doSample: true, eosTokenId: null, topK: 0 };
  const a = await pipe.generateIds('The', { ...opts, seed: 7 });
  const b = await pipe.generateIds('The', { ...opts, seed: 7 });
  const c = await pipe.generateIds('The', { ...opts, seed: 8 });
  assert.deepEqual(a[0]!.ids, b[0]!.ids);
  assert.notDeepEqual(a[0]!.ids, c[0]!.ids);
  const greedy = await pipe.generateIds('The', { maxNewTokens: 20, eosTokenId: null });
  const k1 = await pipe.generateIds('The', { ...opts, topK: 1, seed: 3 });
  assert.deepEqual(k1[0]!.ids, greedy[0]!.ids);
  const three = await pipe.generateIds('The', { ...opts, seed: 7, numReturnSequences: 3 });
  assert.equal(three.length, 3);
  assert.notDeepEqual(three[0]!.ids, three[1]!.ids);
});

test('a stop string ends the row at the token that completes it', { skip }, async () => {
  const [free] = await pipe.generateIds('The', { maxNewTokens: 20, eosTokenId: null });
  // A stop string taken from the middle of the free-running text: generation must stop right there.
  const full = free!.text;
  const stop = full.slice(Math.floor(full.length / 2), Math.floor(full.length / 2) + 2);
  const [stopped] = await pipe.generateIds('The', { maxNewTokens: 20, eosTokenId: null, stopStrings: [stop] });
  assert.equal(stopped!.finishReason, 'stop');
  assert.ok(stopped!.text.includes(stop));
  const withoutLast = tok.decode(stopped!.generatedIds.slice(0, -1), { skipSpecialTokens: true });
  assert.ok(!withoutLast.includes(stop), 'stopped one token late');
  assert.deepEqual(stopped!.generatedIds, free!.generatedIds.slice(0, stopped!.generatedIds.length));
});

test('the event loop keeps running while the worker decodes', { skip }, async () => {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  const t0 = performance.now();
  await pipe(prompts, { maxNewTokens: 200, numBeams: 4, eosTokenId: null });
  const ms = performance.now() - t0;
  clearInterval(timer);
  // A blocked loop would tick once at the end; a free one ticks about once per ms (counted loosely: CI is shared).
  assert.ok(ticks > ms / 20, `${ticks} ticks in ${ms.toFixed(0)} ms`);
});

test('bad options, prompts and folders are LenguaErrors naming what is wrong', { skip }, async () => {
  const field = (f: string) => (e: unknown) => e instanceof LenguaError && e.field === f;
  await assert.rejects(pipe('x', { temperature: 0 }), field('temperature'));
  await assert.rejects(pipe('x', { maxNewTokens: 10_000 }), (e: unknown) => e instanceof LenguaError && /n_positions/.test(e.message));
  await assert.rejects(pipe('x', { numReturnSequences: 2 }), field('numReturnSequences'));
  await assert.rejects(pipe('x', { foo: 1 } as never), field('foo'));
  await assert.rejects(pipe('', {}), (e: unknown) => e instanceof LenguaError && /no tokens/.test(e.message));
  await assert.rejects(pipe([] as string[]), field('texts'));
  await assert.rejects(TextGenerationPipeline.create(golden('fixtures', 'gpt2-tiny')), (e: unknown) => e instanceof LenguaError && /decoder_model_merged/.test(e.message));
  const bad = mkdtempSync(join(tmpdir(), 'lengua-genbad-'));
  try {
    await exportToOnnx(golden('fixtures', 'gpt2-tiny'), bad, { task: 'text-generation', overwrite: true });
    writeFileSync(join(bad, 'generation_config.json'), JSON.stringify({ num_beams: -2 }));
    await assert.rejects(TextGenerationPipeline.create(bad), (e: unknown) => e instanceof LenguaError && e.field === 'num_beams' && e.file === join(bad, 'generation_config.json'));
    // generation_config.json is read like transformers: its values are the defaults a call overrides.
    writeFileSync(join(bad, 'generation_config.json'), JSON.stringify({ max_new_tokens: 3, eos_token_id: null }));
    const p = await TextGenerationPipeline.create(bad, { numThreads: 1 });
    assert.equal((await p.generateIds('Hello'))[0]!.generatedIds.length, 3);
    assert.equal((await p.generateIds('Hello', { maxNewTokens: 5 }))[0]!.generatedIds.length, 5);
    await p.dispose();
  } finally {
    rmSync(bad, { recursive: true, force: true });
  }
});

test('dispose through the callable refuses later calls at once, however they are made', { skip }, async () => {
  const p = await TextGenerationPipeline.create(dir, { numThreads: 1 });
  const both = await Promise.all([p('The', { maxNewTokens: 2 }), p.generateIds('A', { maxNewTokens: 2 })]);
  assert.equal(both.length, 2);
  const ac = new AbortController();
  const pending = p('The', { maxNewTokens: 50, signal: ac.signal });
  ac.abort();
  await assert.rejects(pending, (e: unknown) => e instanceof LenguaError && e.field === 'signal');
  await p.dispose();
  await assert.rejects(p('x'), /disposed/);
  await assert.rejects(p.generateIds('x'), /disposed/);
});
