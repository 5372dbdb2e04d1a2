// Translation and summarization served from an exported T5 (built here: tokenizer trained by Lengua, random
// weights): the official @huggingface/inference client's translation() and summarization() work unchanged and
// get what pipeline() gives; several inputs in one request, and concurrent requests batched together, give the
// answers of one by one; a T5 folder's task defaults to text2text-generation.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceClient } from '@huggingface/inference';
import { pipeline } from '../infer/index.js';
import { tinyT5, TINY_SENTENCES } from '../infer/generation/testing.js';
import { postJson, startServer } from './testing.js';
import type { LenguaServer } from './server.js';

const root = mkdtempSync(join(tmpdir(), 'lengua-serve-t5-'));
let server: LenguaServer;
let url = '';
let exported = '';
before(async () => {
  ({ exported } = await tinyT5(root));
  ({ server, url } = await startServer({
    models: [{ name: 'translate', source: exported, task: 'translation' }, { name: 'summarize', source: exported, task: 'summarization' }, { name: 't2t', source: exported }],
    batcher: { maxWaitMs: 50 },
  }));
});
after(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

test('the HF client translates and summarizes; answers equal the pipeline; batched requests equal one by one', async () => {
  const hf = new InferenceClient();
  const texts = TINY_SENTENCES.slice(0, 4);
  const local = await pipeline('translation', exported, { numThreads: 1 });
  try {
    const want = await local(texts, { maxNewTokens: 6 });
    const one = await hf.translation({ endpointUrl: `${url}/models/translate`, inputs: texts[0]!, parameters: { max_new_tokens: 6 } as never });
    assert.deepEqual(one, want[0]![0]);
    const summary = await hf.summarization({ endpointUrl: `${url}/models/summarize`, inputs: texts[1]!, parameters: { max_new_tokens: 6 } as never });
    assert.deepEqual(summary, { summary_text: (want[1]![0] as { translation_text: string }).translation_text });
    // Concurrent requests (batched by the server) and one request with several inputs.
    const each = await Promise.all(texts.map((t) => postJson(`${url}/models/translate`, { inputs: t, parameters: { max_new_tokens: 6 } })));
    assert.deepEqual(each.map((r) => r.body), want);
    const many = await postJson(`${url}/models/translate`, { inputs: texts, parameters: { max_new_tokens: 6 } });
    assert.deepEqual(many.body, want);
  } finally {
    await local.dispose();
  }
  const t2t = await postJson(`${url}/models/t2t`, { inputs: texts[0], parameters: { max_new_tokens: 3, num_beams: 2, num_return_sequences: 2 } });
  assert.equal(t2t.status, 200);
  assert.deepEqual((t2t.body as Array<Record<string, string>>).map((o) => Object.keys(o)), [['generated_text'], ['generated_text']]);
  const bad = await postJson(`${url}/models/translate`, { inputs: texts[0], parameters: { num_beams: 1000 } });
  assert.equal(bad.status, 422);
});
