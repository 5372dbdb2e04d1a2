// `lengua generate` as a real process on the lm-buddy fixture (real GPT-2 tokenizer): deterministic,
// and each token a maximum of forward()'s logits in this process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportToOnnx } from '../export/index.js';
import { golden, REPO_ROOT, skipWithoutGolden as skip } from '../testing/golden.js';
import * as torch from '../torch/index.js';
import { AutoModelForCausalLM } from '../models/index.js';
import { AutoTokenizer } from '../text/tokenizer/index.js';

function lengua(...args: string[]) {
  return spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'lengua.js'), ...args], { encoding: 'utf8', timeout: 120_000 });
}

test('generate is deterministic and picks a maximal-logit token at every step of a loop over forward', { skip }, async () => {
  const dir = golden('fixtures', 'gpt2-fake-lmbuddy');
  const prompt = 'The quick brown fox';
  const a = lengua('generate', '--model', dir, '--max-new-tokens', '6', '--json', prompt);
  assert.equal(a.status, 0, a.stderr);
  const b = lengua('generate', '--model', dir, '--max-new-tokens', '6', '--json', prompt);
  assert.equal(b.stdout, a.stdout);
  const got = JSON.parse(a.stdout) as { generated_text: string; ids: number[] };

  const tok = await AutoTokenizer.fromPretrained(dir);
  const model = await AutoModelForCausalLM.fromPretrained(dir);
  const ids = tok.encode(prompt).ids;
  assert.deepEqual(got.ids.slice(0, ids.length), ids);
  // Greedy picks a token of maximal logit. The child may run another thread count than this process,
  // so a near-tie may break the other way: accept the child's token when its logit is within 1e-4 of the
  // maximum here (the tolerance the goldens hold logits to across implementations), and follow it.
  assert.ok(got.ids.length > ids.length && got.ids.length <= ids.length + 6, `generated ${got.ids.length - ids.length} tokens`);
  while (ids.length < got.ids.length) {
    const logits = torch.noGrad(() => model.forward({ inputIds: [ids] }).logits);
    const last = (logits.toArray() as number[][][])[0]![ids.length - 1]!;
    const chosen = got.ids[ids.length]!;
    const max = Math.max(...last);
    assert.ok(last[chosen]! >= max - 1e-4, `step ${ids.length}: token ${chosen} has logit ${last[chosen]}, the maximum is ${max}`);
    ids.push(chosen);
    if (chosen === model.config.eosTokenId) break;
  }
  if (ids.at(-1) !== model.config.eosTokenId) assert.equal(got.ids.length, tok.encode(prompt).ids.length + 6, 'stopped before 6 new tokens without EOS');
  assert.deepEqual(got.ids, ids);
  const n = tok.encode(prompt).ids.length;
  assert.equal(got.generated_text, prompt + tok.decode(ids.slice(n), { skipSpecialTokens: true }));
  assert.ok(got.generated_text.startsWith(prompt));

  const plain = lengua('generate', '--model', dir, '--max-new-tokens', '6', prompt);
  assert.equal(plain.status, 0, plain.stderr);
  assert.equal(plain.stdout, got.generated_text + '\n');
  const bad = lengua('generate', '--model', golden('fixtures', 'bert-synth-seqcls'), 'x');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /AutoModelForCausalLM does not support model_type bert/);
});

test('an exported folder runs on ONNX Runtime by default and gives the ids libtorch gives the model folder (greedy, beam, penalties); --stream prints the same text', { skip }, async () => {
  const model = golden('fixtures', 'gpt2-tiny');
  const out = mkdtempSync(join(tmpdir(), 'lengua-cli-gen-'));
  try {
    await exportToOnnx(model, out, { task: 'text-generation', overwrite: true });
    const prompt = 'Hello there';
    for (const extra of [[], ['--num-beams', '3', '--num-return-sequences', '2'], ['--repetition-penalty', '1.3', '--no-repeat-ngram-size', '2', '--stop', 'zz']]) {
      const onnx = lengua('generate', '--model', out, '--max-new-tokens', '12', '--threads', '1', '--json', ...extra, prompt);
      assert.equal(onnx.status, 0, onnx.stderr);
      const viaTorch = lengua('generate', '--model', model, '--max-new-tokens', '12', '--json', ...extra, prompt);
      assert.equal(viaTorch.status, 0, viaTorch.stderr);
      const a = onnx.stdout.trim().split('\n').map((l) => JSON.parse(l) as { ids: number[]; engine: string; generated_text: string });
      const b = viaTorch.stdout.trim().split('\n').map((l) => JSON.parse(l) as { ids: number[]; engine: string; generated_text: string });
      assert.deepEqual(a.map((x) => x.engine), a.map(() => 'onnx'));
      assert.deepEqual(b.map((x) => x.engine), b.map(() => 'torch'));
      assert.equal(a.length, extra.includes('--num-return-sequences') ? 2 : 1);
      assert.deepEqual(a.map((x) => x.ids), b.map((x) => x.ids), extra.join(' '));
      assert.deepEqual(a.map((x) => x.generated_text), b.map((x) => x.generated_text));
    }
    const plain = lengua('generate', '--model', out, '--max-new-tokens', '12', prompt);
    const streamed = lengua('generate', '--model', out, '--max-new-tokens', '12', '--stream', prompt);
    const streamedTorch = lengua('generate', '--model', model, '--engine', 'torch', '--max-new-tokens', '12', '--stream', prompt);
    assert.equal(streamed.status, 0, streamed.stderr);
    assert.equal(streamed.stdout, plain.stdout);
    assert.equal(streamedTorch.stdout, plain.stdout);
    const seeded = (seed: string) => lengua('generate', '--model', out, '--do-sample', '--seed', seed, '--max-new-tokens', '12', '--json', prompt).stdout;
    assert.equal(seeded('5'), seeded('5'));

    const noOnnx = lengua('generate', '--model', model, '--engine', 'onnx', prompt);
    assert.equal(noOnnx.status, 1);
    assert.match(noOnnx.stderr, /--engine onnx needs onnx\/decoder_model_merged\.onnx/);
    const badBeams = lengua('generate', '--model', out, '--num-beams', '2', '--stream', prompt);
    assert.equal(badBeams.status, 1);
    assert.match(badBeams.stderr, /--stream/);
    const badTemp = lengua('generate', '--model', out, '--do-sample', '--temperature', '-1', prompt);
    assert.equal(badTemp.status, 1);
    assert.match(badTemp.stderr, /temperature/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
