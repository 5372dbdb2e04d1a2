// Fuzz: config.json objects given to parseConfig / configFromDict give a family config or a LenguaError
// naming the file — never another exception — and a config that loads also saves and reloads to the
// same JSON (a hostile value must not get past load only to break a later save or clone).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LenguaError } from '../errors.js';
import { fuzzRuns, fuzzSeed, resultOrLenguaError } from '../testing/fuzz.js';
import { AutoConfig, configFromDict, MODEL_TYPES, parseConfig, type AnyConfig } from './auto.js';

const params = (fast: number): fc.Parameters<unknown> => ({ numRuns: fuzzRuns(fast), seed: fuzzSeed() });

const weirdNumber = fc.oneof(
  fc.integer({ min: -3, max: 70 }),
  fc.constantFrom(-1, -0, 0.5, 1e-13, 2 ** 31, 2 ** 53, 2 ** 53 + 2, 1e21, 1e300, -1e300, Number.MAX_VALUE, Number.MIN_VALUE, 65_536, 65_537, 100_001),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const weirdString = fc.oneof(
  fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e999', '0x10', ' 12', '', 'null', 'gelu', 'relu', 'tanh', 'absolute', 'relative_key', 'regression', 'bert', '__proto__'),
  fc.string({ maxLength: 10 }),
);
const weird = fc.oneof(weirdNumber, weirdString, fc.constantFrom(null, true, false, [], {}), fc.jsonValue({ maxDepth: 3 }));
const labelKey = fc.oneof(fc.constantFrom('0', '1', '2', '01', '-0', '1e0', ' 1', '2.0', '', '__proto__', 'constructor', '4294967296'), fc.string({ maxLength: 4 }));
const labelMaps = fc.oneof(fc.dictionary(labelKey, fc.oneof(fc.string({ maxLength: 6 }), weird), { maxKeys: 5 }), weird);
const COMMON_KEYS = ['id2label', 'label2id', 'num_labels', 'problem_type', 'architectures', 'pad_token_id', 'bos_token_id', 'eos_token_id', 'tie_word_embeddings', 'model_type', 'torch_dtype', '__proto__', 'constructor'];

const DEFAULT_KEYS = new Map(MODEL_TYPES.map((t) => [t, Object.keys(AutoConfig.forModel(t).toJSON())]));

/** A valid default config of a random family with a few keys given hostile values. */
const nearValid = fc.constantFrom(...MODEL_TYPES).chain((type) => {
  const keys = [...new Set([...DEFAULT_KEYS.get(type)!, ...COMMON_KEYS])];
  const edit = fc.oneof(fc.tuple(fc.constantFrom(...keys), weird), fc.tuple(fc.constantFrom('id2label', 'label2id'), labelMaps));
  return fc.tuple(fc.constant(type), fc.array(edit, { minLength: 1, maxLength: 4 }), fc.boolean());
});

/**
 * A loaded config must save, reload and save again to the same text, and clone. (Text, not values:
 * JSON has no -0 or Infinity, which a file can still spell as -0.0 or 1e999.)
 */
function roundTrips(cfg: AnyConfig): void {
  const text = cfg.toJSONString();
  assert.equal(parseConfig(text, 'saved/config.json').toJSONString(), text);
  assert.equal(cfg.clone().toJSONString(), text);
  assert.ok(cfg.numLabels >= 1);
}

function check(make: () => AnyConfig, source: string): void {
  const r = resultOrLenguaError(make);
  if (r instanceof LenguaError) assert.ok(r.message.startsWith(source), r.message);
  else roundTrips(r);
}

test('fuzz: configFromDict on arbitrary JSON values', () => {
  fc.assert(
    fc.property(fc.oneof(fc.jsonValue(), fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 })).map((d) => ({ model_type: 'bert', ...d }))), (v) => {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return; // configFromDict takes an object; parseConfig refuses the rest
      check(() => configFromDict(v as Record<string, unknown>, 'fuzz/config.json'), 'fuzz/config.json');
    }),
    params(300),
  );
});

test('fuzz: near-valid configs of every family with wrong types, huge numbers and NaN-ish strings', () => {
  fc.assert(
    fc.property(nearValid, ([type, edits, viaText]) => {
      const json: Record<string, unknown> = AutoConfig.forModel(type).toJSON();
      for (const [k, v] of edits) Object.defineProperty(json, k, { value: v, enumerable: true, writable: true, configurable: true });
      if (viaText) check(() => parseConfig(JSON.stringify(json), 'fuzz/config.json'), 'fuzz/config.json');
      else check(() => configFromDict(json, 'fuzz/config.json'), 'fuzz/config.json');
    }),
    params(600),
  );
});

test('fuzz: number tokens JSON.stringify never writes (1e999, -0, 30-digit integers) in every numeric field', () => {
  const keys = [...new Set([...DEFAULT_KEYS.values()].flat())];
  const token = fc.constantFrom('1e999', '-1e999', '-0', '1E400', '123456789012345678901234567890', '0.1e-400', '-0.0', '1.0', '2e0');
  fc.assert(
    fc.property(fc.constantFrom(...MODEL_TYPES), fc.constantFrom(...keys), token, (type, key, tok) => {
      const text = JSON.stringify({ ...AutoConfig.forModel(type).toJSON(), [key]: '@@' }).replace('"@@"', tok);
      check(() => parseConfig(text, 'fuzz/config.json'), 'fuzz/config.json');
    }),
    params(300),
  );
});

test('fuzz: deeply nested values under keys Lengua does not model (task_specific_params, ...)', () => {
  const deep = fc.tuple(fc.integer({ min: 1, max: 20_000 }), fc.constantFrom('[', '{"a":')).map(([d, open]) => open.repeat(d) + '1' + (open === '[' ? ']' : '}').repeat(d));
  fc.assert(
    fc.property(fc.constantFrom(...MODEL_TYPES), fc.constantFrom('task_specific_params', 'id2label', 'architectures', 'vocab_size', 'x'), deep, (type, key, value) => {
      const text = JSON.stringify({ ...AutoConfig.forModel(type).toJSON(), [key]: '@@' }).replace('"@@"', value);
      check(() => parseConfig(text, 'fuzz/config.json'), 'fuzz/config.json');
    }),
    params(40),
  );
});
