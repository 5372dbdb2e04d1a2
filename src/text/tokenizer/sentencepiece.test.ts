// SentencePiece model files against SentencePiece itself (Debian's python3-sentencepiece): models trained
// at test time on Spanish text, then every held-out sentence must get exactly the ids `encode` gives, and
// decode back to what SentencePiece decodes. Skips without the package or without ../shared/data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LenguaError } from '../../errors.js';
import { PreTrainedTokenizer } from './index.js';
import { ModelType, PieceType, parseSentencePieceModel, spmBpeMerges } from './sentencepiece.js';

const PYTHON = '/usr/bin/python3';
const DATA = fileURLToPath(new URL('../../../../shared/data/', import.meta.url));
const CORPUS = join(DATA, 'pretrain-es', 'corpus.txt');
const TWEETS = join(DATA, 'umsab-spanish-sentiment', 'val_text.txt');
const TWEETS_TRAIN = join(DATA, 'umsab-spanish-sentiment', 'train_text.txt');

const probe = spawnSync(PYTHON, ['-c', 'import sentencepiece'], { encoding: 'utf8' });
const skip =
  probe.status !== 0
    ? 'needs python3-sentencepiece (apt-get install -y python3-sentencepiece; scripts/setup.sh with LENGUA_SETUP_TEST_TOOLS=1)'
    : !existsSync(CORPUS) || !existsSync(TWEETS) || !existsSync(TWEETS_TRAIN)
      ? `needs ${CORPUS} and ${TWEETS}`
      : false;

/** Texts that stress the normalizer and the unknown-character path. */
const EDGE = [
  'Hola  mundo  ',
  '   tres espacios delante y detrás   ',
  'Acentos: áéíóú ÁÉÍÓÚ ñÑ üÜ çÇ àèìòù',
  'Dígitos 0123456789, 3,14159 y 1.000.000 de euros (€) en 2024.',
  'tab\there\nnewline\r\nand\u00a0nbsp\u3000ideographic space',
  'Ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３ and ligatures ﬁ ﬂ ½ ™ ①',
  'Desconocidos: 漢字漢字 😀😀 👍🏽 ∮ ⅋ ꙮ',
  'combining e\u0301 vs é, and Å vs A\u030a',
  'x',
  '',
  '      ',
  'ctrl\u0001chars\u007fremoved\u200bzero width',
];

interface SpmResult {
  ids: number[][];
  decoded: string[];
  unk: number;
  info: { pieces: Array<[string, number, number]>; trainer: number[]; normalizer: [string, number, boolean, boolean] };
}

/** Trains SentencePiece models (name -> trainer options) and encodes `held` with each. */
function trainAndEncode(dir: string, models: Record<string, Record<string, unknown>>, held: string[]): Record<string, SpmResult> {
  const script = `
import json, sys, sentencepiece as spm
from sentencepiece import sentencepiece_model_pb2 as pb
cfg = json.loads(sys.argv[1]); d = sys.argv[2]; corpus = sys.argv[3]
held = json.loads(sys.stdin.read())
out = {}
for name, opts in cfg.items():
    spm.SentencePieceTrainer.train(input=corpus, model_prefix=d + '/' + name, minloglevel=2, num_threads=1, **opts)
    sp = spm.SentencePieceProcessor(model_file=d + '/' + name + '.model')
    ids = [sp.encode(t) for t in held]
    m = pb.ModelProto(); m.ParseFromString(open(d + '/' + name + '.model', 'rb').read())
    t = m.trainer_spec; n = m.normalizer_spec
    out[name] = {'ids': ids, 'decoded': [sp.decode(x) for x in ids], 'unk': sp.unk_id(), 'info': {
        'pieces': [[p.piece, p.score, p.type] for p in m.pieces],
        'trainer': [t.model_type, t.unk_id, t.bos_id, t.eos_id, t.pad_id, int(t.byte_fallback)],
        'normalizer': [n.name, len(n.precompiled_charsmap), n.add_dummy_prefix, n.remove_extra_whitespaces]}}
json.dump(out, sys.stdout)
`;
  const r = spawnSync(PYTHON, ['-c', script, JSON.stringify(models), dir, join(dir, 'train.txt')], {
    input: JSON.stringify(held),
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, SpmResult>;
}

const sameIds = (a: number[], b: number[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/** A folder holding `model` as spiece.model plus the given JSON files. */
function folder(root: string, name: string, model: string, files: Record<string, unknown> = {}): string {
  const dir = join(root, name);
  mkdirSync(dir);
  copyFileSync(model, join(dir, 'spiece.model'));
  for (const [f, v] of Object.entries(files)) writeFileSync(join(dir, f), JSON.stringify(v));
  return dir;
}

const COMMON = { vocab_size: 1500, character_coverage: 1.0 };
const MODELS: Record<string, Record<string, unknown>> = {
  unigram: { ...COMMON, model_type: 'unigram' },
  bpe: { ...COMMON, model_type: 'bpe' },
  // T5's special ids: <pad> 0, </s> 1, <unk> 2, no <s>.
  t5: { ...COMMON, model_type: 'unigram', pad_id: 0, eos_id: 1, unk_id: 2, bos_id: -1 },
  // SentencePiece options transformers' converter ignores; Lengua follows SentencePiece on them.
  raw_spaces: { ...COMMON, model_type: 'bpe', remove_extra_whitespaces: false, add_dummy_prefix: false },
  identity: { ...COMMON, model_type: 'bpe', normalization_rule_name: 'identity' },
};

let setup: { root: string; held: string[]; spm: Record<string, SpmResult> } | undefined;
function prepare(): NonNullable<typeof setup> {
  if (setup) return setup;
  const root = mkdtempSync(join(tmpdir(), 'lengua-spmconv-'));
  const lines = readFileSync(CORPUS, 'utf8').split('\n').filter((l) => l.trim() !== '');
  // Trained on books and tweets (so @, # and the common emoji are pieces).
  writeFileSync(join(root, 'train.txt'), [...lines.slice(0, 1000), ...readFileSync(TWEETS_TRAIN, 'utf8').split('\n')].join('\n') + '\n');
  // Held out: the end of the corpus (other books) and tweets (emoji, @user, hashtags, slang).
  const tweets = readFileSync(TWEETS, 'utf8').split('\n').filter((l) => l !== '');
  const held = [...EDGE, ...lines.slice(-200), ...tweets];
  setup = { root, held, spm: trainAndEncode(root, MODELS, held) };
  return setup;
}

test('the ModelProto reader gives the fields protobuf gives', { skip }, () => {
  const { root, spm } = prepare();
  for (const name of Object.keys(MODELS)) {
    const m = parseSentencePieceModel(readFileSync(join(root, `${name}.model`)), name);
    const info = spm[name]!.info;
    // Scores are float32 in the file: Python's float of it is the same double as DataView's.
    assert.deepEqual(m.pieces.map((p) => [p.piece, p.score, p.type]), info.pieces, name);
    const t = m.trainer;
    assert.deepEqual([t.modelType, t.unkId, t.bosId, t.eosId, t.padId, Number(t.byteFallback)], info.trainer, name);
    const n = m.normalizer;
    assert.deepEqual([n.name, n.precompiledCharsmap.length, n.addDummyPrefix, n.removeExtraWhitespaces], info.normalizer, name);
  }
  assert.equal(parseSentencePieceModel(readFileSync(join(root, 'bpe.model')), 'bpe').trainer.modelType, ModelType.BPE);
  // pad_id -1 is a 10-byte varint.
  assert.equal(parseSentencePieceModel(readFileSync(join(root, 'unigram.model')), 'u').trainer.padId, -1);
});

test('converted spiece.model encodes every held-out text with SentencePiece\'s ids and decodes back', { skip }, () => {
  const { root, held, spm } = prepare();
  for (const name of ['unigram', 'bpe', 'raw_spaces', 'identity']) {
    const tok = PreTrainedTokenizer.fromDir(folder(root, `plain-${name}`, join(root, `${name}.model`)));
    assert.equal(tok.source, 'spiece.model');
    const want = spm[name]!;
    let unknownTexts = 0;
    let ties = 0;
    held.forEach((text, i) => {
      const ids = want.ids[i]!;
      const ours = tok.encode(text, { addSpecialTokens: false }).ids;
      if (MODELS[name]!.model_type === 'unigram' && !ids.includes(want.unk) && !sameIds(ours, ids)) {
        // SentencePiece adds path scores in float32, the library in float64: two segmentations whose scores
        // tie within float32 rounding may come out either way. Same text, scores within the rounding bound.
        const pieces = want.info.pieces;
        const surface = (xs: number[]): string => xs.map((id) => pieces[id]![0]).join('');
        assert.equal(surface(ours), surface(ids), `${name}: ${JSON.stringify(text)}`);
        const sum = (xs: number[]): number => xs.reduce((a, id) => a + pieces[id]![1], 0);
        const abs = (xs: number[]): number => xs.reduce((a, id) => a + Math.abs(pieces[id]![1]), 0);
        // k float32 additions err by at most k * 2^-24 times the sum of magnitudes.
        const bound = (ours.length * abs(ours) + ids.length * abs(ids)) * 2 ** -24;
        assert.ok(Math.abs(sum(ours) - sum(ids)) <= bound, `${name}: not a tie: ${sum(ours)} vs ${sum(ids)} (bound ${bound}) for ${JSON.stringify(text)}`);
        ties++;
        return;
      }
      assert.deepEqual(ours, ids, `${name}: ${JSON.stringify(text)}`);
      // Unknown pieces decode as " ⁇ " in SentencePiece and as the <unk> token here (as in transformers).
      if (ids.includes(want.unk)) {
        unknownTexts++;
        return;
      }
      assert.equal(tok.decode(ids, { cleanUpTokenizationSpaces: false }), want.decoded[i], `${name} decode: ${JSON.stringify(text)}`);
    });
    // The unknown-character path was exercised (emoji, CJK), and most texts decoded.
    assert.ok(unknownTexts >= 3 && unknownTexts < held.length / 4, `${name}: ${unknownTexts} texts with unknowns`);
    assert.ok(ties <= held.length / 100, `${name}: ${ties} float32 ties`);
  }
});

test('a T5 folder: </s> appended, extra ids past the pieces, T5Tokenizer\'s special tokens', { skip }, () => {
  const { root, held, spm } = prepare();
  const want = spm.t5!;
  const n = want.info.pieces.length;
  const byClass = folder(root, 't5-class', join(root, 't5.model'), { 'tokenizer_config.json': { tokenizer_class: 'T5Tokenizer', extra_ids: 100, model_max_length: 512 } });
  const byModelType = folder(root, 't5-config', join(root, 't5.model'), { 'config.json': { model_type: 't5' } });
  for (const dir of [byClass, byModelType]) {
    const tok = PreTrainedTokenizer.fromDir(dir);
    assert.equal(tok.vocabSize, n + 100);
    assert.deepEqual([tok.padTokenId, tok.eosTokenId, tok.unkTokenId, tok.bosTokenId], [0, 1, 2, null]);
    // T5Converter appends the extra ids in reverse: <extra_id_99> first.
    assert.equal(tok.tokenToId('<extra_id_99>'), n);
    assert.equal(tok.tokenToId('<extra_id_0>'), n + 99);
    assert.equal(tok.specialTokens.additionalSpecialTokens.length, 100);
    for (let i = 0; i < 40; i++) {
      assert.deepEqual(tok.encode(held[i]!).ids, [...want.ids[i]!, 1], JSON.stringify(held[i]));
    }
    const pair = tok.encode(held[2]!, { pair: held[3]! });
    assert.deepEqual(pair.ids, [...want.ids[2]!, 1, ...want.ids[3]!, 1]);
    assert.ok(pair.tokenTypeIds.every((t) => t === 0));
    // An extra id in the text is one special token; its neighbours get their own ▁ (transformers' legacy T5).
    const masked = tok.encode('Hola <extra_id_0> mundo');
    assert.deepEqual(masked.ids, [...tok.encode('Hola', { addSpecialTokens: false }).ids, n + 99, ...tok.encode('mundo', { addSpecialTokens: false }).ids, 1]);
    assert.equal(tok.decode(masked.ids, { skipSpecialTokens: true, cleanUpTokenizationSpaces: false }), 'Hola mundo');
    const batch = tok.encodeBatch(['Hola', 'Hola mundo de nuevo'], { padding: true });
    assert.equal(batch[0]!.ids.at(-1), 0);
  }
  assert.equal(PreTrainedTokenizer.fromDir(byClass).modelMaxLength, 512);
  // legacy: false (transformers' prepend_scheme 'first'): text right after a special token gets no ▁.
  const glued = 'Hola<extra_id_0>mundo';
  const legacy = PreTrainedTokenizer.fromDir(byClass).encode(glued).tokens;
  const modern = PreTrainedTokenizer.fromDir(folder(root, 't5-modern', join(root, 't5.model'), { 'tokenizer_config.json': { tokenizer_class: 'T5Tokenizer', legacy: false } })).encode(glued).tokens;
  const after = (toks: string[]): string => toks[toks.indexOf('<extra_id_0>') + 1]!;
  assert.ok(after(legacy).startsWith('▁'), legacy.join(' '));
  assert.ok(!after(modern).startsWith('▁') && modern[0]!.startsWith('▁'), modern.join(' '));
  const noPrefix = PreTrainedTokenizer.fromDir(folder(root, 't5-noprefix', join(root, 't5.model'), { 'tokenizer_config.json': { tokenizer_class: 'T5Tokenizer', add_prefix_space: false } }));
  assert.ok(!noPrefix.encode('Hola').tokens[0]!.startsWith('▁'));
  assert.equal(noPrefix.decode(noPrefix.encode('Hola mundo').ids, { skipSpecialTokens: true, cleanUpTokenizationSpaces: false }), 'Hola mundo');
});

test('a converted folder saves a tokenizer.json that loads to the same ids', { skip }, () => {
  const { root, held, spm } = prepare();
  for (const name of ['unigram', 'bpe', 't5']) {
    const files = name === 't5' ? { 'tokenizer_config.json': { tokenizer_class: 'T5Tokenizer' } } : {};
    const tok = PreTrainedTokenizer.fromDir(folder(root, `save-src-${name}`, join(root, `${name}.model`), files));
    const out = join(root, `saved-${name}`);
    const report = tok.savePretrained(out);
    assert.ok(report.written.includes('tokenizer.json'));
    const again = PreTrainedTokenizer.fromDir(out);
    assert.equal(again.source, 'tokenizer.json');
    for (let i = 0; i < held.length; i += 7) assert.deepEqual(again.encode(held[i]!).ids, tok.encode(held[i]!).ids);
    assert.deepEqual(again.encode(held[5]!, { addSpecialTokens: false }).ids, spm[name]!.ids[5]);
  }
});

test('SentencePiece BPE merges are ordered by the merged piece\'s score, as generate_merges does', () => {
  const pieces = [
    { piece: '<unk>', score: 0, type: PieceType.UNKNOWN },
    { piece: '▁a', score: -1, type: PieceType.NORMAL },
    { piece: 'bc', score: -2, type: PieceType.NORMAL },
    { piece: '▁abc', score: -3, type: PieceType.NORMAL },
    { piece: 'abc', score: -4, type: PieceType.NORMAL },
    { piece: '▁', score: -5, type: PieceType.NORMAL },
    { piece: 'a', score: -6, type: PieceType.NORMAL },
    { piece: 'b', score: -7, type: PieceType.NORMAL },
    { piece: 'c', score: -8, type: PieceType.NORMAL },
  ];
  // ▁abc splits as ▁a+bc (abc is a piece too, but ▁ + abc comes after ▁a + bc: longer left part first).
  assert.deepEqual(spmBpeMerges(pieces), [['▁', 'a'], ['b', 'c'], ['▁a', 'bc'], ['▁', 'abc'], ['a', 'bc']]);
});

/** Rewrites a field of a trained model through Python's protobuf classes. */
function variant(root: string, from: string, name: string, python: string): string {
  const path = join(root, `${name}.model`);
  const r = spawnSync(PYTHON, ['-c', `
import sys
from sentencepiece import sentencepiece_model_pb2 as pb
m = pb.ModelProto(); m.ParseFromString(open(sys.argv[1], 'rb').read())
${python}
open(sys.argv[2], 'wb').write(m.SerializeToString())
`, join(root, `${from}.model`), path], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return path;
}

test('what tokenizer.json cannot reproduce is refused with a LenguaError naming the file and the way out', { skip }, () => {
  const { root } = prepare();
  const refused = (dir: string, file: string, pattern: RegExp): void => {
    assert.throws(() => PreTrainedTokenizer.fromDir(dir), (e: unknown) => e instanceof LenguaError && e.message.includes(join(dir, file)) && pattern.test(e.message), dir);
  };
  const cases: Array<[string, string, RegExp]> = [
    [variant(root, 'unigram', 'bytes', 'm.trainer_spec.byte_fallback = True'), 'spiece.model', /byte_fallback/],
    [variant(root, 'unigram', 'casefold', "m.normalizer_spec.name = 'nmt_nfkc_cf'"), 'spiece.model', /nmt_nfkc_cf.*case folding/],
    [variant(root, 'unigram', 'word', 'm.trainer_spec.model_type = 3'), 'spiece.model', /model_type WORD/],
    [variant(root, 'unigram', 'unused', 'm.pieces[10].type = 5'), 'spiece.model', /piece 10 .*UNUSED/],
  ];
  for (const [model, file, pattern] of cases) refused(folder(root, `refused-${model.split('/').pop()}`, model), file, pattern);
  // ALBERT, XLNet...: their own converters; the message says how to get a tokenizer.json.
  refused(folder(root, 'albert', join(root, 'unigram.model'), { 'tokenizer_config.json': { tokenizer_class: 'AlbertTokenizer' } }), 'spiece.model', /AlbertTokenizer.*save_pretrained/);
  refused(folder(root, 'xlnet', join(root, 'unigram.model'), { 'config.json': { model_type: 'xlnet' } }), 'spiece.model', /"xlnet".*save_pretrained/);
  // Marian: pieces mapped through vocab.json.
  const marian = join(root, 'marian');
  mkdirSync(marian);
  copyFileSync(join(root, 'unigram.model'), join(marian, 'source.spm'));
  copyFileSync(join(root, 'unigram.model'), join(marian, 'target.spm'));
  writeFileSync(join(marian, 'vocab.json'), JSON.stringify({ '</s>': 0, '<unk>': 1, '▁de': 2, '<pad>': 3 }));
  refused(marian, 'source.spm', /MarianTokenizer.*vocab\.json/);
  // A damaged file.
  const bytes = readFileSync(join(root, 'unigram.model'));
  const cut = join(root, 'cut');
  mkdirSync(cut);
  writeFileSync(join(cut, 'spiece.model'), bytes.subarray(0, 1000));
  refused(cut, 'spiece.model', /not a SentencePiece model \(.*runs past the end|truncated/);
  const text = join(root, 'text');
  mkdirSync(text);
  writeFileSync(join(text, 'spiece.model'), '{"not": "protobuf"}');
  refused(text, 'spiece.model', /not a SentencePiece model/);
  // Read through the model-folder rule: a link out of the folder is refused.
  const linked = join(root, 'linked');
  mkdirSync(linked);
  symlinkSync(join(root, 'unigram.model'), join(linked, 'spiece.model'));
  refused(linked, 'spiece.model', /links out of a model folder are refused/);
});
