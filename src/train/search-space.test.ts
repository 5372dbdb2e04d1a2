import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LenguaError } from '../errors.js';
import { gridConfigs, gridSize, loadSearchSpace, parseSearchSpace, randomConfigs } from './search-space.js';

const KEYS = ['learningRate', 'perDeviceTrainBatchSize', 'numTrainEpochs', 'warmupRatio', 'weightDecay', 'hiddenDropoutProb', 'strategy'];
const dir = mkdtempSync(join(tmpdir(), 'lengua-space-'));

test('grid search enumerates every combination, the last dimension fastest', () => {
  const space = parseSearchSpace(
    { learningRate: { values: [1e-5, 3e-5] }, perDeviceTrainBatchSize: { values: [8, 16, 32] }, strategy: { values: ['head', 'full'] } },
    { knownKeys: KEYS },
  );
  const grid = gridConfigs(space);
  assert.equal(grid.length, 12);
  assert.equal(gridSize(space), 12);
  assert.deepEqual(grid[0], { learningRate: 1e-5, perDeviceTrainBatchSize: 8, strategy: 'head' });
  assert.deepEqual(grid[1], { learningRate: 1e-5, perDeviceTrainBatchSize: 8, strategy: 'full' });
  assert.deepEqual(grid[11], { learningRate: 3e-5, perDeviceTrainBatchSize: 32, strategy: 'full' });
  assert.equal(new Set(grid.map((c) => JSON.stringify(c))).size, 12);
});

test('a continuous range in a grid is an error naming it', () => {
  const space = parseSearchSpace({ learningRate: { loguniform: [1e-5, 1e-3] }, strategy: { values: ['head'] } }, { knownKeys: KEYS, file: 'space.json' });
  assert.throws(() => gridConfigs(space, 'space.json'), (e: LenguaError) => e.field === 'learningRate' && /range/.test(e.message) && /space\.json/.test(e.message));
  assert.equal(gridSize(space), null);
});

test('random search samples inside every range, is seeded, and draws integers and values correctly', () => {
  const space = parseSearchSpace(
    {
      learningRate: { loguniform: [1e-5, 1e-3] },
      warmupRatio: { uniform: [0, 0.2] },
      numTrainEpochs: { int: [1, 4] },
      strategy: { values: ['head', 'freeze', 'full'] },
    },
    { knownKeys: KEYS },
  );
  const a = randomConfigs(space, 400, 7);
  assert.deepEqual(randomConfigs(space, 400, 7), a, 'same seed, same trials');
  assert.notDeepEqual(randomConfigs(space, 400, 8), a, 'another seed, other trials');
  for (const c of a) {
    assert.ok((c.learningRate as number) >= 1e-5 && (c.learningRate as number) <= 1e-3);
    assert.ok((c.warmupRatio as number) >= 0 && (c.warmupRatio as number) <= 0.2);
    assert.ok(Number.isInteger(c.numTrainEpochs) && (c.numTrainEpochs as number) >= 1 && (c.numTrainEpochs as number) <= 4);
    assert.ok(['head', 'freeze', 'full'].includes(c.strategy as string));
  }
  // Log-uniform: about half the draws below the geometric midpoint 1e-4 (a uniform draw would put ~9% there).
  const below = a.filter((c) => (c.learningRate as number) < 1e-4).length / a.length;
  assert.ok(below > 0.4 && below < 0.6, `share below 1e-4: ${below}`);
  assert.deepEqual(new Set(a.map((c) => c.numTrainEpochs)), new Set([1, 2, 3, 4]));
  assert.deepEqual(new Set(a.map((c) => c.strategy)), new Set(['head', 'freeze', 'full']));
});

test('validation names the unknown key, the file and the bad range', () => {
  const cases: Array<[unknown, RegExp, string | undefined]> = [
    [{ learningrate: { values: [1] } }, /unknown hyperparameter "learningrate"/, 'learningrate'],
    [{ learningRate: { loguniform: [0, 1e-3] } }, /needs low > 0/, 'learningRate'],
    [{ warmupRatio: { uniform: [0.2, 0.1] } }, /needs low < high/, 'warmupRatio'],
    [{ numTrainEpochs: { int: [1.5, 3] } }, /integer bounds/, 'numTrainEpochs'],
    [{ weightDecay: { uniform: [0] } }, /\[low, high\]/, 'weightDecay'],
    [{ weightDecay: { values: [] } }, /non-empty/, 'weightDecay'],
    [{ weightDecay: { values: [0.1, 0.1] } }, /twice/, 'weightDecay'],
    [{ weightDecay: { range: [0, 1] } }, /exactly one of/, 'weightDecay'],
    [{ weightDecay: 0.1 }, /expected an object/, 'weightDecay'],
    [{}, /empty/, undefined],
    [[1, 2], /must be an object/, undefined],
  ];
  for (const [raw, re, field] of cases) {
    assert.throws(
      () => parseSearchSpace(raw, { knownKeys: KEYS, file: 'my-space.json' }),
      (e: LenguaError) => e instanceof LenguaError && re.test(e.message) && e.message.includes('my-space.json') && e.field === field,
      JSON.stringify(raw),
    );
  }
});

test('search-space files load from JSON and YAML; parse errors name the file', () => {
  const json = join(dir, 'space.json');
  writeFileSync(json, JSON.stringify({ learningRate: { values: [1e-5, 3e-5] }, strategy: { values: ['head', 'full'] } }));
  assert.equal(gridConfigs(loadSearchSpace(json, KEYS)).length, 4);
  const yaml = join(dir, 'space.yaml');
  writeFileSync(yaml, 'learningRate:\n  loguniform: [1.0e-5, 1.0e-3]\nperDeviceTrainBatchSize:\n  values: [8, 16]\n');
  const space = loadSearchSpace(yaml, KEYS);
  assert.deepEqual(space.map((d) => d.name), ['learningRate', 'perDeviceTrainBatchSize']);
  assert.deepEqual(space[0]!.dim, { kind: 'loguniform', low: 1e-5, high: 1e-3 });
  const broken = join(dir, 'broken.json');
  writeFileSync(broken, '{"learningRate": ');
  assert.throws(() => loadSearchSpace(broken, KEYS), (e: LenguaError) => e.file === broken && /cannot parse/.test(e.message));
  assert.throws(() => loadSearchSpace(join(dir, 'missing.json'), KEYS), /not found/);
});

test('runner checks run on every listed value and range bound; integer keys refuse continuous ranges', () => {
  const checkValue = (key: string, v: unknown) => {
    if (key === 'strategy' && !['head', 'freeze', 'full'].includes(v as string)) throw new LenguaError(`must be one of head, freeze, full`, { field: key });
    if (key === 'learningRate' && !((v as number) > 0)) throw new LenguaError('must be > 0', { field: key });
  };
  const opts = { knownKeys: KEYS, file: 's.json', integerKeys: ['perDeviceTrainBatchSize'], checkValue };
  assert.throws(() => parseSearchSpace({ strategy: { values: ['head', 'partial'] } }, opts), (e: LenguaError) => e.field === 'strategy' && /s\.json, field "strategy": "partial": must be one of/.test(e.message));
  assert.throws(() => parseSearchSpace({ learningRate: { uniform: [-1, 1] } }, opts), /field "learningRate": -1: must be > 0/);
  assert.throws(() => parseSearchSpace({ perDeviceTrainBatchSize: { uniform: [8, 32] } }, opts), /takes integers: use \{"int"/);
  assert.equal(parseSearchSpace({ perDeviceTrainBatchSize: { int: [8, 32] }, strategy: { values: ['head'] } }, opts).length, 2);
});
