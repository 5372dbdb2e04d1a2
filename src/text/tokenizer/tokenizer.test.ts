import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LenguaError } from '../../errors.js';
import { AutoTokenizer, PreTrainedTokenizer, type Encoding } from './index.js';
import { golden, skipWithoutGolden as skip } from '../../testing/golden.js';

const FIX = golden('fixtures');
const BERT = join(FIX, 'bert-tiny-seqcls');
const ROBERTA = join(FIX, 'roberta-synth-seqcls');
const GPT2 = join(FIX, 'gpt2-tiny');

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'lengua-tok-'));
}

/** Tokens a sequence contributes (special tokens removed) in a pair encoding. */
function seqTokens(e: Encoding, seq: 0 | 1): string[] {
  return e.tokens.filter((_, i) => e.sequenceIds![i] === seq);
}

test('BERT special tokens, ids and sizes come from the folder', { skip }, async () => {
  const tok = await AutoTokenizer.fromPretrained(BERT);
  assert.equal(tok.clsTokenId, 2);
  assert.equal(tok.sepTokenId, 3);
  assert.equal(tok.padTokenId, 0);
  assert.equal(tok.unkTokenId, 1);
  assert.equal(tok.maskTokenId, 4);
  assert.equal(tok.bosTokenId, null);
  assert.equal(tok.modelMaxLength, 512);
  assert.equal(tok.vocabSize, 1124);
  assert.equal(tok.specialTokens.clsToken, '[CLS]');
  assert.deepEqual(tok.convertTokensToIds(['[CLS]', 'h', 'not-a-token']), [2, 50, 1]);
  assert.deepEqual(tok.convertIdsToTokens([2, 50, 3]), ['[CLS]', 'h', '[SEP]']);
  assert.throws(() => tok.convertIdsToTokens([99999]), LenguaError);
  assert.equal(tok.numSpecialTokensToAdd(false), 2);
  assert.equal(tok.numSpecialTokensToAdd(true), 3);
});

test('offsets survive lower-casing, accent stripping, length-changing lowercase and CJK spacing', { skip }, async () => {
  const tok = await AutoTokenizer.fromPretrained(BERT);
  // İ lower-cases to two code points (i + combining dot); é and ö lose their accents; 中 gets spaces.
  const text = 'İz Héllo, wörld! 中 [MASK] Ω';
  const e = tok.encode(text);
  const surfaces = e.tokens.map((t, i) => [t, text.slice(...e.offsets[i]!)]);
  assert.deepEqual(surfaces, [
    ['[CLS]', ''],
    ['i', 'İ'],
    ['##z', 'z'],
    ['h', 'H'],
    ['##e', 'é'],
    ['##l', 'l'],
    ['##l', 'l'],
    ['##o', 'o'],
    [',', ','],
    ['w', 'w'],
    ['##o', 'ö'],
    ['##r', 'r'],
    ['##l', 'l'],
    ['##d', 'd'],
    ['!', '!'],
    ['中', '中'],
    ['[MASK]', '[MASK]'],
    [e.tokens[e.tokens.length - 2]!, 'Ω'],
    ['[SEP]', ''],
  ]);
  assert.deepEqual(e.specialTokensMask, e.tokens.map((_, i) => (i === 0 || i === e.tokens.length - 1 ? 1 : 0)));
  assert.deepEqual(e.wordIds!.slice(0, 4), [null, 0, 0, 1]);
});

test('a decomposed accent (e + U+0301): the kept letter keeps its own span, as the Rust filter does', { skip }, async () => {
  const tok = await AutoTokenizer.fromPretrained(BERT);
  const text = 'Cafe\u0301 ok';
  const e = tok.encode(text, { addSpecialTokens: false });
  const last = e.tokens.indexOf('##e');
  assert.deepEqual(e.offsets[last], [3, 4]);
  assert.deepEqual(tok.encode('Caf\u00e9', { addSpecialTokens: false }).offsets.at(-1), [3, 4]);
  assert.equal(e.ids.length, e.offsets.length);
});

test('RoBERTa: <mask> strips the space on its left and its offsets cover it; byte-level offsets are trimmed', { skip }, async () => {
  const tok = await AutoTokenizer.fromPretrained(ROBERTA);
  const text = 'Hello <mask>! a  b 🍕';
  const e = tok.encode(text);
  const i = e.tokens.indexOf('<mask>');
  assert.deepEqual(e.offsets[i], [5, 12]);
  const b = e.tokens.indexOf('Ġb');
  assert.equal(text.slice(...e.offsets[b]!), 'b');
  // The emoji is split into byte tokens: each maps to the whole emoji (2 UTF-16 units).
  const pizza = e.offsets.filter(([s], k) => s === text.indexOf('🍕') && e.tokens[k] !== 'Ġ');
  assert.ok(pizza.length >= 2);
  for (const o of pizza) assert.deepEqual(o, [text.indexOf('🍕'), text.length]);
  // Pair: <s> A </s></s> B </s>, every type id 0 (as the Rust RobertaProcessing gives).
  const p = tok.encode('one', { pair: 'two' });
  assert.equal(p.tokens[0], '<s>');
  assert.deepEqual(p.tokenTypeIds, p.ids.map(() => 0));
  assert.deepEqual(p.specialTokensMask, [1, ...seqTokens(p, 0).map(() => 0), 1, 1, ...seqTokens(p, 1).map(() => 0), 1]);
});

test('GPT-2: no special tokens, offsets include the leading space (trim_offsets false), pair type ids 0/1', { skip }, async () => {
  const tok = await AutoTokenizer.fromPretrained(GPT2);
  const text = 'Hello world';
  const e = tok.encode(text);
  assert.deepEqual(e.specialTokensMask, e.ids.map(() => 0));
  const w = e.tokens.findIndex((t) => t.startsWith('Ġ'));
  assert.equal(text.slice(...e.offsets[w]!).startsWith(' '), true);
  const p = tok.encode('a', { pair: 'b' });
  assert.deepEqual(p.tokenTypeIds, [...seqTokens(p, 0).map(() => 0), ...seqTokens(p, 1).map(() => 1)]);
  assert.equal(tok.padTokenId, null);
  assert.throws(() => tok.encodeBatch(['a', 'a b c'], { padding: true }), /pad token/);
});

test('truncation longest_first matches the Rust rule, only_first / only_second cut one side', { skip }, async () => {
  const tok = await AutoTokenizer.fromPretrained(BERT);
  const a = 'abcdefgh'; // 8 pieces: a ##b ... ##h
  const b = 'xyz'; // 3 pieces
  const na = tok.tokenize(a).length;
  const nb = tok.tokenize(b).length;
  assert.equal(na, 8);
  assert.equal(nb, 3);
  // Budget 10 - 3 specials = 7: the shorter keeps 3, the longer gets 4.
  let e = tok.encode(a, { pair: b, truncation: true, maxLength: 10 });
  assert.equal(e.ids.length, 10);
  assert.deepEqual(seqTokens(e, 0), tok.tokenize(a).slice(0, 4));
  assert.deepEqual(seqTokens(e, 1), tok.tokenize(b));
  // Budget 5: both over half -> 2 and 3 (the second keeps the odd one when it is the longer).
  e = tok.encode(a, { pair: 'abcdefgh', truncation: 'longest_first', maxLength: 8 });
  assert.deepEqual([seqTokens(e, 0).length, seqTokens(e, 1).length], [2, 3]);
  e = tok.encode(a, { pair: b, truncation: 'only_first', maxLength: 9 });
  assert.deepEqual([seqTokens(e, 0).length, seqTokens(e, 1).length], [3, 3]);
  e = tok.encode(b, { pair: a, truncation: 'only_second', maxLength: 9 });
  assert.deepEqual([seqTokens(e, 0).length, seqTokens(e, 1).length], [3, 3]);
  assert.deepEqual(e.tokenTypeIds, [0, 0, 0, 0, 0, 1, 1, 1, 1]);
  assert.throws(() => tok.encode(a, { pair: b, truncation: 'only_second', maxLength: 9 }), /cannot fit/);
  assert.throws(() => tok.encode(a, { truncation: 'only_second', maxLength: 5 }), /needs a text pair/);
  // Single text: truncated to the limit including [CLS]/[SEP]; offsets and masks follow.
  e = tok.encode(a, { truncation: true, maxLength: 4 });
  assert.deepEqual(e.tokens, ['[CLS]', 'a', '##b', '[SEP]']);
  assert.deepEqual(e.offsets, [[0, 0], [0, 1], [1, 2], [0, 0]]);
  e = tok.encode(a, { truncation: true, maxLength: 4, truncationSide: 'left' });
  assert.deepEqual(e.tokens, ['[CLS]', '##g', '##h', '[SEP]']);
  assert.deepEqual(e.offsets, [[0, 0], [6, 7], [7, 8], [0, 0]]);
  // Under the limit nothing changes; without maxLength the model's 512 applies.
  assert.deepEqual(tok.encode(a, { truncation: true }).ids, tok.encode(a).ids);
  assert.throws(() => tok.encode(a, { truncation: true, maxLength: 1 }), /special tokens/);
  assert.throws(() => tok.encode(a, { maxLength: 0, truncation: true }), LenguaError);
});

test('padding: longest, max_length, left side, multiple of; attention mask and special mask follow', { skip }, async () => {
  const tok = await AutoTokenizer.fromPretrained(BERT);
  const batch = tok.encodeBatch(['ab', 'abcdef', ['ab', 'cd']], { padding: true });
  const lens = batch.map((e) => e.ids.length);
  assert.deepEqual(lens, [8, 8, 8]);
  assert.deepEqual(batch[0]!.attentionMask, [1, 1, 1, 1, 0, 0, 0, 0]);
  assert.deepEqual(batch[0]!.ids.slice(4), [0, 0, 0, 0]);
  assert.deepEqual(batch[0]!.tokens.slice(4), ['[PAD]', '[PAD]', '[PAD]', '[PAD]']);
  assert.deepEqual(batch[0]!.specialTokensMask, [1, 0, 0, 1, 1, 1, 1, 1]);
  assert.deepEqual(batch[0]!.offsets.slice(4), [[0, 0], [0, 0], [0, 0], [0, 0]]);
  assert.deepEqual(batch[2]!.tokenTypeIds, [0, 0, 0, 0, 1, 1, 1, 0]);
  const left = tok.encode('ab', { padding: 'max_length', maxLength: 6, paddingSide: 'left' });
  assert.deepEqual(left.ids, [0, 0, ...tok.encode('ab').ids]);
  assert.deepEqual(left.offsets.slice(0, 3), [[0, 0], [0, 0], [0, 0]]);
  assert.deepEqual(left.attentionMask, [0, 0, 1, 1, 1, 1]);
  const mult = tok.encodeBatch(['ab', 'abc'], { padding: 'longest', padToMultipleOf: 8 });
  assert.deepEqual(mult.map((e) => e.ids.length), [8, 8]);
  // Longer than max_length without truncation: left as is (as transformers does).
  assert.equal(tok.encode('abcdefgh', { padding: 'max_length', maxLength: 4 }).ids.length, 10);
  // padding + truncation together give exactly maxLength.
  const both = tok.encodeBatch(['abcdefgh', 'a'], { padding: 'max_length', truncation: true, maxLength: 6 });
  assert.deepEqual(both.map((e) => e.ids.length), [6, 6]);
  assert.throws(() => tok.encode('a', { padding: 'sideways' as never }), /padding must be/);
});

test('RoBERTa pads with <pad> id 1', { skip }, async () => {
  const tok = await AutoTokenizer.fromPretrained(ROBERTA);
  const [a, b] = tok.encodeBatch(['Hi', 'Hello there friend'], { padding: 'longest' });
  assert.equal(a!.ids.length, b!.ids.length);
  assert.equal(a!.ids[a!.ids.length - 1], 1);
  assert.equal(tok.padTokenId, 1);
});

test('decode round trips and skips special tokens', { skip }, async () => {
  const bert = await AutoTokenizer.fromPretrained(BERT);
  const e = bert.encode('Hello, world!');
  assert.equal(bert.decode(e.ids, { skipSpecialTokens: true }), 'hello, world!');
  assert.equal(bert.decode(e.ids), '[CLS] hello, world! [SEP]');
  assert.equal(bert.decode([]), '');
  assert.throws(() => bert.decode([1.5]), LenguaError);
  assert.throws(() => bert.decode([2, 5000]), /not in the vocabulary \(size 1124\)/);
  assert.equal(bert.tokenToId('[SEP]'), 3);
  assert.equal(bert.tokenToId('no-such-token'), null);
  assert.equal(bert.idToToken(3), '[SEP]');
  assert.equal(bert.idToToken(99999), null);
  assert.equal(bert.getVocab().get('[MASK]'), 4);
  assert.equal(bert.getVocab().size, bert.vocabSize);
  const gpt2 = await AutoTokenizer.fromPretrained(join(FIX, 'gpt2-fake-lmbuddy'));
  for (const text of ['  Leading and trailing  ', 'Café 🍕 naïve\nnew line', 'Ελληνικά 中文']) {
    assert.equal(gpt2.decode(gpt2.encode(text).ids), text);
  }
  const rob = await AutoTokenizer.fromPretrained(ROBERTA);
  assert.equal(rob.decode(rob.encode('Hello there').ids, { skipSpecialTokens: true }), 'Hello there');
});

test('savePretrained writes tokenizer.json beside the slow files and the copy encodes the same', { skip }, async () => {
  const dir = tmp();
  const slow = tmp();
  try {
    for (const f of ['vocab.txt', 'tokenizer_config.json', 'special_tokens_map.json']) copyFileSync(join(BERT, f), join(slow, f));
    const fromSlow = await AutoTokenizer.fromPretrained(slow);
    assert.equal(fromSlow.source, 'vocab.txt');
    fromSlow.savePretrained(dir);
    for (const f of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt']) assert.ok(existsSync(join(dir, f)), f);
    const saved = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as { model: { type: string }; normalizer: { lowercase: boolean } };
    assert.equal(saved.model.type, 'WordPiece');
    assert.equal(saved.normalizer.lowercase, true);
    const reloaded = await AutoTokenizer.fromPretrained(dir);
    assert.equal(reloaded.source, 'tokenizer.json');
    const text = 'Héllo wörld [MASK], 中文!';
    assert.deepEqual(reloaded.encode(text, { pair: 'x y' }), fromSlow.encode(text, { pair: 'x y' }));
    const fast = await AutoTokenizer.fromPretrained(BERT);
    assert.deepEqual(reloaded.encode(text), fast.encode(text));
    assert.equal(reloaded.modelMaxLength, 512);
    // A folder with only vocab.txt gets a tokenizer_config.json naming its class, as transformers writes it.
    const bare = tmp();
    try {
      copyFileSync(join(BERT, 'vocab.txt'), join(bare, 'vocab.txt'));
      const bareTok = await AutoTokenizer.fromPretrained(bare);
      assert.deepEqual([bareTok.clsTokenId, bareTok.sepTokenId, bareTok.padTokenId, bareTok.maskTokenId], [2, 3, 0, 4]);
      bareTok.savePretrained(bare);
      const cfg = JSON.parse(readFileSync(join(bare, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
      assert.equal(cfg.tokenizer_class, 'BertTokenizer');
      assert.equal(cfg.unk_token, '[UNK]');
      const map = JSON.parse(readFileSync(join(bare, 'special_tokens_map.json'), 'utf8')) as Record<string, unknown>;
      // Each role as an AddedToken with tokenizer.json's flags, as current transformers writes the map.
      const added = (content: string): Record<string, unknown> => ({ content, lstrip: false, normalized: false, rstrip: false, single_word: false });
      assert.deepEqual(map, { unk_token: added('[UNK]'), sep_token: added('[SEP]'), pad_token: added('[PAD]'), cls_token: added('[CLS]'), mask_token: added('[MASK]') });
      // The slow file it came from is kept (it means what tokenizer.json means).
      assert.ok(readFileSync(join(bare, 'vocab.txt')).equals(readFileSync(join(BERT, 'vocab.txt'))));
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(slow, { recursive: true, force: true });
  }
});

test('errors name the folder and the files looked for, or the malformed file', async () => {
  const dir = tmp();
  try {
    await assert.rejects(AutoTokenizer.fromPretrained(dir), (err: unknown) => {
      assert.ok(err instanceof LenguaError);
      assert.match(err.message, new RegExp(dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
      assert.match(err.message, /tokenizer\.json/);
      assert.match(err.message, /vocab\.txt/);
      assert.match(err.message, /merges\.txt/);
      return true;
    });
    writeFileSync(join(dir, 'tokenizer.json'), '{"model": {"type": "WordPiece", ');
    await assert.rejects(AutoTokenizer.fromPretrained(dir), (err: unknown) => {
      assert.ok(err instanceof LenguaError);
      assert.equal(err.file, join(dir, 'tokenizer.json'));
      assert.match(err.message, /malformed JSON/);
      return true;
    });
    writeFileSync(join(dir, 'tokenizer.json'), '[1, 2]');
    await assert.rejects(AutoTokenizer.fromPretrained(dir), /expected a JSON object/);
    writeFileSync(join(dir, 'tokenizer.json'), '{"model": {"type": "Nope", "vocab": 3}}');
    await assert.rejects(AutoTokenizer.fromPretrained(dir), (err: unknown) => err instanceof LenguaError && err.file === join(dir, 'tokenizer.json'));
    rmSync(join(dir, 'tokenizer.json'));
    writeFileSync(join(dir, 'vocab.json'), '{"a": 0}');
    writeFileSync(join(dir, 'merges.txt'), '#version: 0.2\na b c\n');
    await assert.rejects(AutoTokenizer.fromPretrained(dir), (err: unknown) => err instanceof LenguaError && err.line === 2 && /merges\.txt/.test(err.message));
    await assert.rejects(AutoTokenizer.fromPretrained(join(dir, 'missing', 'folder')), /no such folder|not found/);
    assert.throws(() => PreTrainedTokenizer.fromDir(join(dir, 'vocab.json')), /not a folder/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('encode rejects a non-string text and a batch pair option', { skip }, async () => {
  const tok = await AutoTokenizer.fromPretrained(BERT);
  assert.throws(() => tok.encode(5 as unknown as string), /expected a string/);
  assert.throws(() => tok.encodeBatch(['a'], { pair: 'b' }), /tuples/);
});

test('a Hub id resolves through the Hugging Face cache layout, offline', { skip }, async () => {
  const cache = tmp();
  try {
    const commit = 'a'.repeat(40);
    const repo = join(cache, 'models--org--bert-tiny');
    const snap = join(repo, 'snapshots', commit);
    mkdirSync(snap, { recursive: true });
    mkdirSync(join(repo, 'refs'), { recursive: true });
    writeFileSync(join(repo, 'refs', 'main'), commit);
    for (const f of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) copyFileSync(join(BERT, f), join(snap, f));
    const tok = await AutoTokenizer.fromPretrained('org/bert-tiny', { cacheDir: cache, offline: true });
    const local = await AutoTokenizer.fromPretrained(BERT);
    assert.deepEqual(tok.encode('Hello, world!', { pair: 'again' }), local.encode('Hello, world!', { pair: 'again' }));
    await assert.rejects(AutoTokenizer.fromPretrained('org/missing', { cacheDir: cache, offline: true }), /offline/);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});

test('GPT-2 and RoBERTa folders with only vocab.json + merges.txt get the default special tokens', { skip }, async () => {
  const gdir = tmp();
  const rdir = tmp();
  try {
    const vocab = golden('tokenizers', 'vocab', 'gpt2');
    for (const f of ['vocab.json', 'merges.txt']) copyFileSync(join(vocab, f), join(gdir, f));
    const g = await AutoTokenizer.fromPretrained(gdir);
    assert.deepEqual([g.bosTokenId, g.eosTokenId, g.unkTokenId, g.padTokenId], [50256, 50256, 50256, null]);
    assert.deepEqual(g.encode('Hi<|endoftext|>').ids.at(-1), 50256);
    for (const f of ['vocab.json', 'merges.txt']) copyFileSync(join(ROBERTA, f), join(rdir, f));
    const r = await AutoTokenizer.fromPretrained(rdir);
    assert.equal(r.source, 'vocab.json + merges.txt');
    assert.deepEqual([r.clsTokenId, r.sepTokenId, r.padTokenId, r.maskTokenId], [0, 2, 1, 1027]);
    const fast = await AutoTokenizer.fromPretrained(ROBERTA);
    const text = 'Hello <mask>! Two  spaces';
    assert.deepEqual(r.encode(text, { pair: 'b' }), fast.encode(text, { pair: 'b' }));
  } finally {
    rmSync(gdir, { recursive: true, force: true });
    rmSync(rdir, { recursive: true, force: true });
  }
});

test('added_tokens.json of a slow folder adds tokens that split the text', { skip }, async () => {
  const dir = tmp();
  try {
    for (const f of ['vocab.txt', 'tokenizer_config.json', 'special_tokens_map.json']) copyFileSync(join(BERT, f), join(dir, f));
    writeFileSync(join(dir, 'added_tokens.json'), JSON.stringify({ '<emoji>': 1124 }));
    const tok = await AutoTokenizer.fromPretrained(dir);
    const text = 'hi<emoji>yo';
    const e = tok.encode(text, { addSpecialTokens: false });
    assert.deepEqual(e.tokens, ['h', '##i', '<emoji>', 'y', '##o']);
    assert.deepEqual(e.ids[2], 1124);
    assert.deepEqual(text.slice(...e.offsets[2]!), '<emoji>');
    assert.equal(tok.vocabSize, 1125);
    writeFileSync(join(dir, 'added_tokens.json'), JSON.stringify({ '<x>': -1 }));
    await assert.rejects(AutoTokenizer.fromPretrained(dir), (err: unknown) => err instanceof LenguaError && err.field === '<x>' && /added_tokens\.json/.test(err.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('truncation and padding invariants on generated pairs', { skip }, async () => {
  const fc = (await import('fast-check')).default;
  const tok = await AutoTokenizer.fromPretrained(BERT);
  const word = fc.constantFrom('a', 'bc', 'def', 'hello', 'wörld', '中', '!', 'xyzxyz');
  const text = fc.array(word, { maxLength: 10 }).map((w) => w.join(' '));
  fc.assert(
    fc.property(text, text, fc.integer({ min: 3, max: 30 }), fc.constantFrom('left', 'right' as const), (a, b, max, side) => {
      const full = tok.encode(a, { pair: b });
      const e = tok.encode(a, { pair: b, truncation: 'longest_first', maxLength: max, truncationSide: side });
      assert.equal(e.ids.length, Math.min(max, full.ids.length));
      // Each side keeps a contiguous run of its own tokens (the start, or the end for left truncation).
      for (const seq of [0, 1] as const) {
        const kept = seqTokens(e, seq);
        const all = seqTokens(full, seq);
        const expected = side === 'right' ? all.slice(0, kept.length) : all.slice(all.length - kept.length);
        assert.deepEqual(kept, expected);
      }
      const [p, q] = tok.encodeBatch([[a, b], a], { padding: 'max_length', truncation: true, maxLength: max, paddingSide: side });
      assert.equal(p!.ids.length, max);
      assert.equal(q!.ids.length, max);
      assert.equal(q!.attentionMask.reduce((x, y) => x + y, 0), Math.min(max, tok.encode(a).ids.length));
    }),
    { numRuns: 150, seed: 42 },
  );
});
