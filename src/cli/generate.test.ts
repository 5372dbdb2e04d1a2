// `lengua generate` as a real process on the lm-buddy fixture (real GPT-2 tokenizer): deterministic,
// and each token a maximum of forward()'s logits in this process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
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
  assert.equal(got.generated_text, tok.decode(ids));
  assert.ok(got.generated_text.startsWith(prompt));

  const plain = lengua('generate', '--model', dir, '--max-new-tokens', '6', prompt);
  assert.equal(plain.status, 0, plain.stderr);
  assert.equal(plain.stdout, got.generated_text + '\n');
  const bad = lengua('generate', '--model', golden('fixtures', 'bert-synth-seqcls'), 'x');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /AutoModelForCausalLM does not support model_type bert/);
});
