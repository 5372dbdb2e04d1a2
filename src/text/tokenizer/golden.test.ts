import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer, PreTrainedTokenizer, readTokenizerFiles } from './index.js';
import { byteLevelToText } from './pipeline.js';
import { golden, skipWithoutGolden as skip } from '../../testing/golden.js';

// CI clones the repository with shared/ beside it (like /work/main and /work/shared); see src/testing/golden.ts.
const GOLDEN = golden();
const FIX = join(GOLDEN, 'fixtures');

interface Case {
  text: string;
  tokens: string[];
  ids: number[];
  input_ids?: number[];
  input_tokens?: string[];
}
interface Pair {
  text_a: string;
  text_b: string;
  input_ids: number[];
  input_tokens: string[];
  token_type_ids?: number[];
}
interface Golden {
  cases: Case[];
  pairs?: Pair[];
}

function goldenCases(name: string): Golden {
  return JSON.parse(readFileSync(join(GOLDEN, 'tokenizers', `${name}.json`), 'utf8')) as Golden;
}

/** Folders this file created; only these are ever removed (the shared fixtures may live under /tmp too). */
const temporary = new Set<string>();

/** A temporary folder holding only the given files (no tokenizer.json): the slow-tokenizer path. */
function slowFolder(files: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'lengua-slow-'));
  temporary.add(dir);
  for (const f of files) copyFileSync(f, join(dir, f.split('/').pop()!));
  return dir;
}

/** Converts a slow folder and saves it as tokenizer.json files in a new folder (the slow one is removed). */
function saved(slow: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'lengua-saved-'));
  temporary.add(dir);
  PreTrainedTokenizer.fromDir(slow).savePretrained(dir);
  rmSync(slow, { recursive: true, force: true });
  return dir;
}

const fold = (s: string): string => s.normalize('NFD').replace(/\p{Mn}/gu, '').toLowerCase();

/** Every token's offsets must slice the original text to the token's own surface. */
function checkOffsets(tok: PreTrainedTokenizer, text: string, byteLevel: boolean, trimmed: boolean, label: string): void {
  const e = tok.encode(text, { addSpecialTokens: false });
  let prevEnd = 0;
  e.tokens.forEach((t, i) => {
    const [s, en] = e.offsets[i]!;
    assert.ok(s >= 0 && en >= s && en <= text.length, `${label}: offsets ${s},${en} out of range for ${t}`);
    assert.ok(s >= prevEnd || en === s, `${label}: offsets go backwards at ${t}`);
    if (en > s) prevEnd = Math.max(prevEnd, s);
    assert.notEqual(e.wordIds![i], null, `${label}: token ${t} has no word id (offsets were not aligned)`);
    const slice = text.slice(s, en);
    if (t === tok.specialTokens.unkToken) {
      assert.ok(en > s, `${label}: [UNK] covers nothing`);
      return;
    }
    if (tok.allSpecialIds.includes(e.ids[i]!)) {
      // Added tokens found in the text: their content, maybe with the whitespace they strip.
      assert.equal(slice.trim(), t, `${label}: special ${t}`);
      return;
    }
    if (!byteLevel) {
      const surface = t.startsWith('##') ? t.slice(2) : t;
      if (fold(slice) === surface) return;
      // A piece of one decomposed character (Hangul jamo) maps to the whole character, shared
      // with its neighbour pieces.
      const shared = [e.offsets[i - 1], e.offsets[i + 1]].some((o) => o !== undefined && o[0] === s && o[1] === en);
      assert.ok(shared && fold(slice).includes(surface), `${label}: token ${t} sliced ${JSON.stringify(slice)}`);
      return;
    }
    const decoded = byteLevelToText(t);
    if (decoded.includes('\uFFFD')) {
      // Part of a multi-byte character: it maps to the whole character.
      assert.ok(en > s || trimmed, `${label}: partial-byte token ${t} has an empty span`);
      return;
    }
    const expected = trimmed ? decoded.replace(/^ +/, '').replace(/ +$/, '') : decoded;
    if (trimmed && decoded.trim() === '' && decoded.length > 0) return;
    assert.equal(slice, expected, `${label}: token ${t}`);
  });
}

interface Setup {
  golden: string;
  folders: Array<[string, () => string]>;
  byteLevel: boolean;
  trimmed: boolean;
}

const setups: Setup[] = [
  {
    golden: 'bert-tiny',
    byteLevel: false,
    trimmed: false,
    folders: [
      ['tokenizer.json', () => join(FIX, 'bert-tiny-seqcls')],
      ['vocab.txt', () => slowFolder(['vocab.txt', 'tokenizer_config.json', 'special_tokens_map.json'].map((f) => join(FIX, 'bert-tiny-seqcls', f)))],
    ],
  },
  {
    golden: 'bert-base-uncased',
    byteLevel: false,
    trimmed: false,
    folders: [
      ['vocab.txt only', () => slowFolder([join(GOLDEN, 'tokenizers/vocab/bert-base-uncased/vocab.txt')])],
      ['tokenizer.json saved from vocab.txt', () => saved(slowFolder([join(GOLDEN, 'tokenizers/vocab/bert-base-uncased/vocab.txt')]))],
    ],
  },
  {
    golden: 'gpt2',
    byteLevel: true,
    trimmed: false,
    folders: [
      ['tokenizer.json', () => join(FIX, 'gpt2-fake-lmbuddy')],
      ['vocab.json + merges.txt only', () => slowFolder(['vocab.json', 'merges.txt'].map((f) => join(GOLDEN, 'tokenizers/vocab/gpt2', f)))],
    ],
  },
  {
    golden: 'gpt2-tiny',
    byteLevel: true,
    trimmed: false,
    folders: [
      ['tokenizer.json', () => join(FIX, 'gpt2-tiny')],
      ['vocab.json + merges.txt', () => slowFolder(['vocab.json', 'merges.txt', 'tokenizer_config.json', 'special_tokens_map.json'].map((f) => join(FIX, 'gpt2-tiny', f)))],
    ],
  },
  {
    golden: 'roberta-synth',
    byteLevel: true,
    trimmed: true,
    folders: [
      ['tokenizer.json', () => join(FIX, 'roberta-synth-seqcls')],
      ['vocab.json + merges.txt', () => slowFolder(['vocab.json', 'merges.txt', 'tokenizer_config.json', 'special_tokens_map.json', 'config.json'].map((f) => join(FIX, 'roberta-synth-seqcls', f)))],
    ],
  },
];

for (const setup of setups) {
  for (const [how, folder] of setup.folders) {
    test(`golden ${setup.golden} via ${how}: every case and pair, with offsets`, { skip }, async () => {
      const g = goldenCases(setup.golden);
      const dir = folder();
      try {
        const tok = await AutoTokenizer.fromPretrained(dir);
        assert.equal(tok.source, how.startsWith('tokenizer.json') ? 'tokenizer.json' : how.startsWith('vocab.txt') ? 'vocab.txt' : 'vocab.json + merges.txt');
        assert.equal(g.cases.length, 37);
        for (const c of g.cases) {
          const label = `${setup.golden}/${how} ${JSON.stringify(c.text).slice(0, 60)}`;
          assert.deepEqual(tok.tokenize(c.text), c.tokens, label);
          const plain = tok.encode(c.text, { addSpecialTokens: false });
          assert.deepEqual(plain.ids, c.ids, label);
          assert.deepEqual(plain.tokens, c.tokens, label);
          const full = tok.encode(c.text);
          assert.deepEqual(full.ids, c.input_ids ?? c.ids, label);
          if (c.input_tokens) assert.deepEqual(full.tokens, c.input_tokens, label);
          assert.deepEqual(full.attentionMask, full.ids.map(() => 1));
          checkOffsets(tok, c.text, setup.byteLevel, setup.trimmed, label);
        }
        for (const p of g.pairs ?? []) {
          const label = `${setup.golden}/${how} pair ${JSON.stringify(p.text_a)}`;
          const e = tok.encode(p.text_a, { pair: p.text_b });
          assert.deepEqual(e.ids, p.input_ids, label);
          assert.deepEqual(e.tokens, p.input_tokens, label);
          // RoBERTa's goldens carry no type ids; the Rust library gives them all 0.
          assert.deepEqual(e.tokenTypeIds, p.token_type_ids ?? p.input_ids.map(() => 0), label);
          const [batched] = tok.encodeBatch([[p.text_a, p.text_b]]);
          assert.deepEqual(batched, e);
        }
      } finally {
        if (temporary.has(dir)) rmSync(dir, { recursive: true, force: true });
      }
    });
  }
}

/** Object key order aside (JavaScript lists integer-like keys first), two JSON values are equal. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
  }
  return v;
}

test('slow-file conversion writes the same tokenizer.json as transformers did for the fixtures', { skip }, () => {
  const cases: Array<[string, string[]]> = [
    ['bert-tiny-seqcls', ['vocab.txt', 'tokenizer_config.json', 'special_tokens_map.json']],
    ['gpt2-tiny', ['vocab.json', 'merges.txt', 'tokenizer_config.json', 'special_tokens_map.json']],
    ['gpt2-fake-lmbuddy', ['vocab.json', 'merges.txt', 'tokenizer_config.json', 'special_tokens_map.json']],
    ['roberta-synth-seqcls', ['vocab.json', 'merges.txt', 'tokenizer_config.json', 'special_tokens_map.json']],
  ];
  for (const [name, files] of cases) {
    const slow = slowFolder(files.map((f) => join(FIX, name, f)));
    try {
      const mine = readTokenizerFiles(slow).json as { model: { merges?: unknown[] } };
      const ref = JSON.parse(readFileSync(join(FIX, name, 'tokenizer.json'), 'utf8')) as { model: { merges?: unknown[]; ignore_merges?: boolean } };
      // Newer files store merges as pairs, older ones as "a b" strings: the same data.
      if (ref.model.merges) ref.model.merges = ref.model.merges.map((m) => (Array.isArray(m) ? m.join(' ') : m));
      // lm-buddy's file predates ignore_merges (default false).
      if (ref.model.merges && ref.model.ignore_merges === undefined) ref.model.ignore_merges = false;
      assert.deepEqual(canonical(mine), canonical(ref), name);
    } finally {
      rmSync(slow, { recursive: true, force: true });
    }
  }
});
