// `registry:NAME@production` sources: the server serves the stage's version from the registry (files
// checked against their hashes), follows the stage when it moves — promote and rollback under load, no
// failed request — and keeps serving when the registry cannot be read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from '../registry/index.js';
import { skipWithoutGolden as skip } from '../testing/golden.js';
import { useServedFixtures, postJson, startServer } from './testing.js';

const fixtures = useServedFixtures(['seqcls']);

test('serves registry:NAME@production and swaps versions when the stage moves, under load, with no failed request', { skip }, async () => {
  const root = join(fixtures().root, 'registry');
  const registry = await Registry.open({ root });
  await registry.push(fixtures().seqcls, { name: 'tweets', version: '1.0.0' });
  // Version 1.1.0: the same weights with other label names, so the answers tell the versions apart.
  const v2 = join(fixtures().root, 'v2');
  cpSync(fixtures().seqcls, v2, { recursive: true });
  const config = JSON.parse(readFileSync(join(v2, 'config.json'), 'utf8')) as Record<string, unknown>;
  config.id2label = { 0: 'neg', 1: 'neu', 2: 'pos' };
  config.label2id = { neg: 0, neu: 1, pos: 2 };
  writeFileSync(join(v2, 'config.json'), JSON.stringify(config));
  await registry.push(v2, { name: 'tweets', version: '1.1.0' });
  await registry.promote('tweets', '1.0.0', 'production');

  const { server, url } = await startServer({ models: [{ source: 'registry:tweets@production' }], registry: { root, cacheDir: join(fixtures().root, 'cache') }, watchIntervalMs: 50 });
  try {
    const label = async (): Promise<string> => ((await postJson(`${url}/models/tweets`, { inputs: 'ok' })).body as Array<Array<{ label: string }>>)[0]![0]!.label;
    assert.ok(['negative', 'neutral', 'positive'].includes(await label()));
    let stop = false;
    const statuses: number[] = [];
    const load = Promise.all(Array.from({ length: 4 }, async () => {
      while (!stop) statuses.push((await postJson(`${url}/models/tweets`, { inputs: 'a tweet under load' })).status);
    }));
    await registry.promote('tweets', '1.1.0', 'production');
    for (let i = 0; i < 200 && server.ctx.slot('tweets').current.version !== '1.1.0'; i++) await new Promise((r) => setTimeout(r, 25));
    assert.equal(server.ctx.slot('tweets').current.version, '1.1.0');
    assert.ok(['neg', 'neu', 'pos'].includes(await label()));
    await registry.rollback('tweets');
    for (let i = 0; i < 200 && server.ctx.slot('tweets').current.version !== '1.0.0'; i++) await new Promise((r) => setTimeout(r, 25));
    assert.equal(server.ctx.slot('tweets').current.version, '1.0.0');
    stop = true;
    await load;
    assert.ok(statuses.length > 10);
    assert.deepEqual([...new Set(statuses)], [200]);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(metrics, /lengua_model_reloads_total\{model="tweets",reason="stage"\} 2/);
    assert.match(metrics, /lengua_model_info\{model="tweets",version="1.0.0",task="text-classification"\} 1/);
  } finally {
    await server.close();
  }
});

test('a missing registry model is a clear error at start', { skip }, async () => {
  await assert.rejects(startServer({ models: [{ source: 'registry:nope@production' }], registry: { root: join(fixtures().root, 'empty-registry') } }), /nope/);
});
