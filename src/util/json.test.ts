import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LenguaError } from '../errors.js';
import { parseJsonObject } from './json.js';

test('parseJsonObject returns the object of a JSON line', () => {
  assert.deepEqual(parseJsonObject('{"text": "hola", "n": 2}', { file: 'in.jsonl', line: 3 }), { text: 'hola', n: 2 });
});

test('parseJsonObject names the file and line of malformed JSON and of a value that is not an object', () => {
  assert.throws(
    () => parseJsonObject('{"text": ', { file: 'in.jsonl', line: 7 }),
    (e: unknown) => e instanceof LenguaError && e.file === 'in.jsonl' && e.line === 7 && /^in\.jsonl:7: malformed JSON: /.test(e.message),
  );
  for (const text of ['[1, 2]', '"text"', 'null', '3']) {
    assert.throws(() => parseJsonObject(text, { file: 'in.jsonl', line: 2 }), { name: 'LenguaError', message: 'in.jsonl:2: expected a JSON object' });
  }
});
