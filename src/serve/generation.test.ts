// Generation routes on loopback: the HF client's textGeneration / chatCompletion (stream too) and the
// official OpenAI client, each answer equal to the pipeline's own greedy output.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { InferenceClient } from '@huggingface/inference';
import OpenAI from 'openai';
import { pipeline } from '../infer/index.js';
import { skipWithoutGolden as skip } from '../testing/golden.js';
import { chatPrompt } from './routes-openai.js';
import type { LenguaServer } from './server.js';
import { buildServedFixtures, postJson, startServer, type ServedFixtures } from './testing.js';

let fx: ServedFixtures;
let server: LenguaServer;
let url: string;
let expected: (prompt: string, maxNewTokens: number) => Promise<string>;
let disposeDirect: () => Promise<void>;

before(async () => {
  if (skip !== false) return;
  fx = await buildServedFixtures(['gpt2']);
  ({ server, url } = await startServer({ models: [{ name: 'gpt', source: fx.gpt2 }], limits: { maxNewTokens: 32 } }));
  const direct = await pipeline('text-generation', fx.gpt2, { numThreads: 1 });
  expected = async (prompt, maxNewTokens) => (await direct(prompt, { maxNewTokens, returnFullText: false }))[0]!.generated_text;
  disposeDirect = () => direct.dispose();
});
after(async () => {
  await server?.close();
  await disposeDirect?.();
  if (fx !== undefined) rmSync(fx.root, { recursive: true, force: true });
});

test('HF route: [{generated_text}] with the prompt, greedy, equal to the pipeline', { skip }, async () => {
  const r = await postJson(`${url}/models/gpt`, { inputs: 'Hello there', parameters: { max_new_tokens: 8 } });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, [{ generated_text: 'Hello there' + (await expected('Hello there', 8)) }]);
  const over = await postJson(`${url}/models/gpt`, { inputs: 'x', parameters: { max_new_tokens: 33 } });
  assert.equal(over.status, 422);
  assert.match((over.body as { error: string }).error, /max_new_tokens/);
});

test('the official HF client: textGeneration (/v1/completions) and chatCompletion, plain and streamed', { skip }, async () => {
  const hf = new InferenceClient();
  const endpointUrl = `${url}/models/gpt`;
  const g = await hf.textGeneration({ endpointUrl, inputs: 'Once upon', parameters: { max_new_tokens: 6 } });
  assert.equal(g.generated_text, await expected('Once upon', 6));

  const messages = [{ role: 'user' as const, content: 'Say hi' }];
  const want = (await expected(chatPrompt(messages), 6)).split('\nuser:')[0];
  const chat = await hf.chatCompletion({ endpointUrl, messages, max_tokens: 6 });
  assert.equal(chat.choices[0]!.message.content, want);
  let streamed = '';
  let finish: string | null | undefined;
  for await (const chunk of hf.chatCompletionStream({ endpointUrl, messages, max_tokens: 6 })) {
    streamed += chunk.choices[0]?.delta.content ?? '';
    finish ??= chunk.choices[0]?.finish_reason;
  }
  assert.equal(streamed.split('\nuser:')[0], want);
  assert.ok(finish === 'length' || finish === 'stop');
});

test('the official OpenAI client: chat.completions and completions, with usage; streaming ends with [DONE]', { skip }, async () => {
  const openai = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused' });
  const models = await openai.models.list();
  assert.deepEqual(models.data.map((m) => m.id), ['gpt']);
  const c = await openai.completions.create({ model: 'gpt', prompt: 'The cat', max_tokens: 5 });
  assert.equal(c.choices[0]!.text, await expected('The cat', 5));
  assert.equal(c.usage!.completion_tokens, 5);
  assert.equal(c.choices[0]!.finish_reason, 'length');
  const stream = await openai.chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 4, stream: true });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
  assert.equal(text.split('\nuser:')[0], (await expected(chatPrompt([{ role: 'user', content: 'Hi' }]), 4)).split('\nuser:')[0]);
  const raw = await fetch(`${url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'a', max_tokens: 3, stream: true }) });
  assert.match(raw.headers.get('content-type') ?? '', /text\/event-stream/);
  assert.match(await raw.text(), /data: \[DONE\]\n\n$/);
});
