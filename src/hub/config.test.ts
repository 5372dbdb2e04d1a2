// Regression tests for what fuzzing config.json found (src/hub/config.fuzz.test.ts,
// src/models/config.fuzz.test.ts): claims a few bytes of config make must not cost memory or time,
// and anything that loads must also save.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LenguaError } from '../errors.js';
import { AutoModelForSequenceClassification, parseConfig } from '../models/auto.js';
import { golden, skipWithoutGolden as skip } from '../testing/golden.js';

test('a config nested deeper than 128 levels is refused at load, not when it is saved or cloned', () => {
  const deep = '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000);
  assert.throws(
    () => parseConfig(`{"model_type": "bert", "task_specific_params": ${deep}}`, 'deep/config.json'),
    (e: unknown) => e instanceof LenguaError && /^deep\/config\.json: JSON nested deeper than 128 levels/.test(e.message),
  );
  // Real nesting (task_specific_params.summarization.*) still loads, saves and clones.
  const cfg = parseConfig('{"model_type": "bert", "task_specific_params": {"summarization": {"num_beams": 4}}}');
  assert.equal(parseConfig(cfg.clone().toJSONString()).toJSONString(), cfg.toJSONString());
});

test('num_labels alone cannot make a million label names out of a 40-byte file', () => {
  const started = Date.now();
  assert.throws(
    () => parseConfig('{"model_type": "bert", "num_labels": 1000000}', 'n/config.json'),
    (e: unknown) => e instanceof LenguaError && /n\/config\.json, field "num_labels": must be an integer in \[1, 100000\]/.test(e.message),
  );
  assert.ok(Date.now() - started < 2000, 'refused before building the labels');
  assert.equal(parseConfig('{"model_type": "bert", "num_labels": 21843}').numLabels, 21843);
});

test('error messages show hostile values cut short', () => {
  assert.throws(
    () => parseConfig(JSON.stringify({ model_type: 'bert', hidden_act: 'x'.repeat(100_000) })),
    (e: unknown) => e instanceof LenguaError && e.message.length < 500 && /"xxxx.*\.\.\. \(100002 characters\)/.test(e.message),
  );
});

test('a config claiming far more parameters than its checkpoint holds is refused before allocating them', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lengua-claim-'));
  const fixture = golden('fixtures', 'bert-synth-seqcls');
  for (const f of readdirSync(fixture)) copyFileSync(join(fixture, f), join(dir, f));
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  // 1M x 4096 embeddings: 16 GB of float32 for a 200 KB checkpoint.
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...cfg, vocab_size: 1_000_000, hidden_size: 4096 }));
  const started = Date.now();
  await assert.rejects(AutoModelForSequenceClassification.fromPretrained(dir), (e: unknown) => {
    assert.ok(e instanceof LenguaError);
    assert.ok(e.message.startsWith(join(dir, 'config.json')), e.message);
    assert.match(e.message, /about 4231M parameters \(vocabulary 1000000, hidden size 4096, 2 layers\).*holds 0\.05M/);
    return true;
  });
  assert.ok(Date.now() - started < 5000);
  // The fixture itself, and a new head of another size, still load.
  writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg));
  const model = await AutoModelForSequenceClassification.fromPretrained(dir, { numLabels: 7 });
  assert.equal(model.config.numLabels, 7);
});
