import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { register } from './hub.js';
import { readSafetensors } from '../hub/safetensors.js';
import { golden, skipWithoutGolden as skip } from '../testing/golden.js';

const GOLDEN = golden();

async function run(args: string[]): Promise<string> {
  const program = new Command('lengua').exitOverride();
  register(program);
  let out = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }) as typeof process.stdout.write;
  try {
    await program.parseAsync(args, { from: 'user' });
  } finally {
    process.stdout.write = write;
  }
  return out;
}

test('hub inspect reports tensors, parameters and dtypes from the headers', { skip }, async () => {
  const out = JSON.parse(await run(['hub', 'inspect', join(GOLDEN, 'models', 'bert-tiny-seqcls', 'golden.safetensors'), '--json', '--tensors'])) as {
    tensors: number;
    byDtype: Record<string, { tensors: number }>;
    list: Array<{ name: string; shape: number[] }>;
  };
  assert.equal(out.tensors, out.list.length);
  assert.ok(out.byDtype.I64!.tensors >= 3, 'input ids, masks and labels are I64');
  assert.deepEqual(out.list.find((t) => t.name === 'inputs.input_ids')!.shape, [3, 28]);
  const fixture = readSafetensors(join(GOLDEN, 'fixtures', 'bert-tiny-seqcls', 'model.safetensors'));
  const params = [...fixture.tensors.values()].reduce((a, t) => a + t.data.byteLength / 4, 0);
  const text = await run(['hub', 'inspect', join(GOLDEN, 'fixtures', 'bert-tiny-seqcls')]);
  assert.ok(text.includes(`${fixture.tensors.size} tensors, ${params.toLocaleString('en-US')} parameters`), text);
});

test('hub download prints a local folder as is', { skip }, async () => {
  const dir = join(GOLDEN, 'fixtures', 'gpt2-tiny');
  assert.equal((await run(['hub', 'download', dir, '--quiet'])).trim(), dir);
});

test('hub download fails offline naming what is missing', async () => {
  const cache = mkdtempSync(join(tmpdir(), 'lengua-cli-hub-'));
  await assert.rejects(run(['hub', 'download', 'org/model', '--offline', '--cache-dir', cache]), /offline mode.*org\/model.*is not in the Hugging Face cache.*Looked for config\.json, model\.safetensors.*lengua hub download org\/model/);
});
