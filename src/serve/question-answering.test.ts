// Extractive question answering served from the bert-synth-qa export (its task read from config.json): the official
// @huggingface/inference client's questionAnswering() works unchanged and gets what pipeline() gives; a context of
// several windows is not refused for its length; a list of inputs and the pipeline's parameters; bad requests.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceClient } from '@huggingface/inference';
import { exportToOnnx } from '../export/index.js';
import { pipeline } from '../infer/index.js';
import { golden, skipWithoutGolden as skip } from '../testing/golden.js';
import { postJson, startServer } from './testing.js';
import type { LenguaServer } from './server.js';

const root = mkdtempSync(join(tmpdir(), 'lengua-serve-qa-'));
const exported = join(root, 'qa');
let server: LenguaServer | undefined;
let url = '';
before(async () => {
  if (skip !== false) return;
  await exportToOnnx(golden('fixtures', 'bert-synth-qa'), exported, { threads: 1 });
  ({ server, url } = await startServer({ models: [{ name: 'qa', source: exported }], batcher: { maxWaitMs: 20 } }));
});
after(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

const CONTEXT = 'The cat sat on the mat by the door. A dog slept under the table in the kitchen all afternoon.';
// bert-synth-qa takes 64 positions and splits most words into letters: this context needs several windows.
const LONG = `${CONTEXT} ${CONTEXT.replace('cat', 'bird')} ${CONTEXT.replace('dog', 'fox')}`;

test('the HF client\'s questionAnswering gets the pipeline\'s answer; long contexts, lists and parameters as the pipeline', { skip }, async () => {
  const local = await pipeline('question-answering', exported, { numThreads: 1 });
  try {
    const hf = new InferenceClient();
    const one = await hf.questionAnswering({ endpointUrl: `${url}/models/qa`, inputs: { question: 'Where did the cat sit?', context: CONTEXT } });
    assert.deepEqual(one, await local('Where did the cat sit?', CONTEXT));
    const params = { top_k: 2, doc_stride: 16, max_answer_len: 8, handle_impossible_answer: true };
    const long = await postJson(`${url}/models/qa`, { inputs: { question: 'Where did the dog sleep?', context: LONG }, parameters: params });
    assert.equal(long.status, 200, JSON.stringify(long.body));
    assert.deepEqual(long.body, await local('Where did the dog sleep?', LONG, { topK: 2, docStride: 16, maxAnswerLen: 8, handleImpossibleAnswer: true }));
    const inputs = [{ question: 'Who slept?', context: CONTEXT }, { question: 'Where?', context: LONG }];
    const many = await postJson(`${url}/models/qa/pipeline/question-answering`, { inputs });
    assert.equal(many.status, 200, JSON.stringify(many.body));
    assert.deepEqual(many.body, await local(inputs));
  } finally {
    await local.dispose();
  }
});

test('bad question-answering requests: 400 for inputs that are no {question, context}, 422 for bad parameters', { skip }, async () => {
  const noContext = await postJson(`${url}/models/qa`, { inputs: { question: 'q' } });
  assert.equal(noContext.status, 400);
  assert.match(JSON.stringify(noContext.body), /question.*context/);
  const text = await postJson(`${url}/models/qa`, { inputs: 'just a text' });
  assert.equal(text.status, 400);
  const badParam = await postJson(`${url}/models/qa`, { inputs: { question: 'q', context: CONTEXT }, parameters: { max_answer_len: 0 } });
  assert.equal(badParam.status, 422);
  const badStride = await postJson(`${url}/models/qa`, { inputs: { question: 'q', context: CONTEXT }, parameters: { doc_stride: 100 } });
  assert.equal(badStride.status, 422, JSON.stringify(badStride.body));
});
