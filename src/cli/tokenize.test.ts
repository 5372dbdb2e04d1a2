import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './testing.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer } from '../text/tokenizer/index.js';
import { golden, skipWithoutGolden as skip } from '../testing/golden.js';

const BERT = golden('fixtures', 'bert-tiny-seqcls');

function lengua(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = runCli(args, { timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('lengua tokenize --json: texts, a pair, and --input JSON lines (real process)', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lengua-cli-tok-'));
  try {
    const input = join(dir, 'in.jsonl');
    writeFileSync(input, [JSON.stringify({ text: 'How are you?', pair: 'I am fine.' }), '', JSON.stringify({ text: 'Héllo wörld' })].join('\n') + '\n');
    const r = lengua(['tokenize', '--model', BERT, '--json', 'Hello, world!', '--input', input]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 3);
    const tok = await AutoTokenizer.fromPretrained(BERT);
    const expected = [tok.encode('Hello, world!'), tok.encode('How are you?', { pair: 'I am fine.' }), tok.encode('Héllo wörld')];
    lines.forEach((l, i) => {
      const e = expected[i]!;
      assert.deepEqual(Object.keys(l), ['ids', 'tokens', 'attentionMask', 'tokenTypeIds', 'offsets']);
      assert.deepEqual(l, { ids: e.ids, tokens: e.tokens, attentionMask: e.attentionMask, tokenTypeIds: e.tokenTypeIds, offsets: e.offsets });
    });
    // The golden pair, end to end.
    assert.deepEqual(lines[1]!.ids, [2, 50, 798, 804, 43, 796, 795, 67, 798, 792, 35, 3, 51, 43, 790, 48, 794, 805, 795, 18, 3]);
    assert.deepEqual((lines[1]!.tokenTypeIds as number[]).filter((t) => t === 1).length, 9);

    const p = lengua(['tokenize', '--model', BERT, '--pair', 'xy', '--json', '--truncation', '--max-length', '6', 'abcdef']);
    assert.equal(p.code, 0, p.stderr);
    const pe = JSON.parse(p.stdout) as { tokens: string[]; tokenTypeIds: number[] };
    assert.equal(pe.tokens.length, 6);
    assert.deepEqual(pe.tokens.slice(0, 1), ['[CLS]']);

    const human = lengua(['tokenize', '--model', BERT, 'Héllo']);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /##e\s+\[1, 2\)\s+"é"/);

    writeFileSync(input, JSON.stringify({ text: 'ok' }) + '\n' + JSON.stringify({ text: 3 }) + '\n');
    const bad = lengua(['tokenize', '--model', BERT, '--json', '--input', input]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /in\.jsonl:2, field "text"/);
    const noFiles = lengua(['tokenize', '--model', dir, 'x']);
    assert.equal(noFiles.code, 1);
    assert.match(noFiles.stderr, /no tokenizer files/);
    const nothing = lengua(['tokenize', '--model', BERT]);
    assert.equal(nothing.code, 1);
    assert.match(nothing.stderr, /TEXT arguments or --input/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
