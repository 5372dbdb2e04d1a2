// `lengua generate` as a real process on the lm-buddy fixture (real GPT-2 tokenizer): deterministic,
// and equal to a plain argmax loop over forward() in this process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { goldenRoot, REPO_ROOT } from '../models/golden-path.js';
import * as torch from '../torch/index.js';
import { AutoModelForCausalLM } from '../models/index.js';
import { AutoTokenizer } from '../text/tokenizer/index.js';

const root = goldenRoot();
const skip = root === null ? 'no ../shared/golden' : false;

function lengua(...args: string[]) {
  return spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'lengua.js'), ...args], { encoding: 'utf8', timeout: 120_000 });
}

test('generate is deterministic and equals an argmax loop over forward', { skip }, async () => {
  const dir = join(root!, 'fixtures', 'gpt2-fake-lmbuddy');
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
  for (let i = 0; i < 6; i++) {
    const logits = torch.noGrad(() => model.forward({ inputIds: [ids] }).logits);
    const last = (logits.toArray() as number[][][])[0]![ids.length - 1]!;
    let best = 0;
    for (let j = 1; j < last.length; j++) if (last[j]! > last[best]!) best = j;
    ids.push(best);
    if (best === model.config.eosTokenId) break;
  }
  assert.deepEqual(got.ids, ids);
  assert.equal(got.generated_text, tok.decode(ids));
  assert.ok(got.generated_text.startsWith(prompt));

  const plain = lengua('generate', '--model', dir, '--max-new-tokens', '6', prompt);
  assert.equal(plain.status, 0, plain.stderr);
  assert.equal(plain.stdout, got.generated_text + '\n');
  const bad = lengua('generate', '--model', join(root!, 'fixtures', 'bert-synth-seqcls'), 'x');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /AutoModelForCausalLM does not support model_type bert/);
});
