import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { AutoTokenizer, type PreTrainedTokenizer } from './index.js';

const FIX = fileURLToPath(new URL('../../../../shared/golden/fixtures/', import.meta.url));

/** Pieces that stress normalization and alignment: case changes that alter length, accents, CJK, emoji, controls, specials. */
const PIECES = [
  'a', 'B', 'hello', 'World', ' ', '  ', '\t', '\n', '\r\n', ',', '!!', '...', "'s", 'é', 'e\u0301', 'İ', 'ß', 'ΑΣ', 'Σ', 'ς',
  'ﬁ', 'Ａ', '１２', '中', '文字', '한국', 'ᄒ', '🍕', '👨\u200d👩', '🇪🇸', '\u00a0', '\u2003', '\u200b', '\u00ad', '\u2028', '\u0007',
  '\u0000', '\uFFFD', 'ñ', 'Ω', '123', '$5', '#tag', '@user', '[MASK]', '<mask>', '<|endoftext|>', 'x'.repeat(30), 'ab'.repeat(60),
];
const textArb = fc.array(fc.constantFrom(...PIECES), { maxLength: 12 }).map((parts) => parts.join(''));

/** The aligned pipeline agreed with the library (word ids set) and offsets are in range and ordered. */
function checkAligned(tok: PreTrainedTokenizer, text: string): void {
  const e = tok.encode(text, { addSpecialTokens: false });
  // tokenize() is @huggingface/tokenizers' own encode: the aligned path must give the same tokens and ids.
  const libTokens = tok.tokenize(text);
  assert.deepEqual(e.tokens, libTokens, JSON.stringify(text));
  assert.deepEqual(e.ids, tok.convertTokensToIds(libTokens), JSON.stringify(text));
  let lastStart = 0;
  e.tokens.forEach((t, i) => {
    const [s, en] = e.offsets[i]!;
    assert.notEqual(e.wordIds![i], null, `pipeline disagreed with the library on ${JSON.stringify(text)} at ${t}`);
    assert.ok(s >= 0 && s <= en && en <= text.length, `offsets ${s},${en} of ${t} in ${JSON.stringify(text)}`);
    // Empty spans (a lone trimmed "Ġ") may sit anywhere, as in the Rust library; others are ordered.
    if (en > s) {
      assert.ok(s >= lastStart, `offsets go backwards at ${t} in ${JSON.stringify(text)}`);
      lastStart = s;
    }
    // Offsets never split a surrogate pair.
    assert.ok(!(s > 0 && /[\uDC00-\uDFFF]/.test(text[s] ?? '')), `start inside a surrogate pair: ${t}`);
  });
}

for (const name of ['bert-tiny-seqcls', 'gpt2-tiny', 'roberta-synth-seqcls']) {
  test(`${name}: the aligned pipeline reproduces the library's tokens on generated texts`, async () => {
    const tok = await AutoTokenizer.fromPretrained(join(FIX, name));
    fc.assert(
      fc.property(textArb, (text) => checkAligned(tok, text)),
      { numRuns: 150, seed: 20261126 },
    );
  });
}

function variant(base: string, edit: (json: Record<string, unknown>) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'lengua-tokvar-'));
  const json = JSON.parse(readFileSync(join(FIX, base, 'tokenizer.json'), 'utf8')) as Record<string, unknown>;
  edit(json);
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(json));
  writeFileSync(join(dir, 'tokenizer_config.json'), readFileSync(join(FIX, base, 'tokenizer_config.json')));
  return dir;
}

test('NFKC + Lowercase + Strip + Replace normalizers with a Whitespace pre-tokenizer keep offsets on the original', async () => {
  const dir = variant('bert-tiny-seqcls', (j) => {
    j.normalizer = {
      type: 'Sequence',
      normalizers: [
        { type: 'Replace', pattern: { String: '``' }, content: '"' },
        { type: 'NFKC' },
        { type: 'Lowercase' },
        { type: 'Strip', strip_left: true, strip_right: true },
      ],
    };
    j.pre_tokenizer = { type: 'Whitespace' };
  });
  try {
    const tok = await AutoTokenizer.fromPretrained(dir);
    const text = '  ＡＢ ﬁx ``quote`` Done  ';
    const e = tok.encode(text, { addSpecialTokens: false });
    const surfaces = e.tokens.map((t, i) => [t, text.slice(...e.offsets[i]!)]);
    assert.deepEqual(surfaces.slice(0, 2), [['a', 'Ａ'], ['##b', 'Ｂ']]);
    // The ligature ﬁ becomes "fi": both letters map to the one original character.
    const f = e.tokens.indexOf('f');
    assert.equal(text.slice(...e.offsets[f]!), 'ﬁ');
    assert.equal(text.slice(...e.offsets[f + 1]!), 'ﬁ');
    const q = e.tokens.indexOf('"');
    assert.equal(text.slice(...e.offsets[q]!), '``');
    fc.assert(fc.property(textArb, (t) => checkAligned(tok, t)), { numRuns: 100, seed: 7 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unsupported pre-tokenizer falls back to approximate offsets, never to different ids', async () => {
  const dir = variant('bert-tiny-seqcls', (j) => {
    j.pre_tokenizer = { type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' }, { type: 'Punctuation', behavior: 'isolated' }] };
  });
  try {
    const tok = await AutoTokenizer.fromPretrained(dir);
    const text = 'Héllo, wörld!';
    const e = tok.encode(text, { addSpecialTokens: false });
    assert.deepEqual(e.tokens, tok.tokenize(text));
    assert.ok(e.wordIds!.every((w) => w === null));
    assert.deepEqual(e.tokens.map((t, i) => [t, text.slice(...e.offsets[i]!)]).slice(0, 7), [
      ['h', 'H'], ['##e', 'é'], ['##l', 'l'], ['##l', 'l'], ['##o', 'o'], [',', ','], ['w', 'w'],
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('byte-level add_prefix_space: the added space aligns with the first character and is trimmed away', async () => {
  const dir = variant('roberta-synth-seqcls', (j) => {
    (j.pre_tokenizer as Record<string, unknown>).add_prefix_space = true;
    (j.post_processor as Record<string, unknown>).add_prefix_space = true;
  });
  try {
    const tok = await AutoTokenizer.fromPretrained(dir);
    const text = 'Hello world';
    const e = tok.encode(text, { addSpecialTokens: false });
    assert.ok(e.tokens[0]!.startsWith('Ġ'), e.tokens[0]);
    assert.equal(e.offsets[0]![0], 0);
    assert.equal(text.slice(...e.offsets[e.tokens.findIndex((t, i) => i > 0 && t.startsWith('Ġ'))]!), e.tokens.find((t, i) => i > 0 && t.startsWith('Ġ'))!.slice(1));
    fc.assert(fc.property(textArb, (t) => checkAligned(tok, t)), { numRuns: 100, seed: 11 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
