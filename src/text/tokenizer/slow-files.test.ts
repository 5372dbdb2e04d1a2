// The slow-tokenizer files Lengua writes beside tokenizer.json: byte for byte as transformers wrote the
// golden fixtures' own files, and loading (without tokenizer.json, through the slow route) into a
// tokenizer that encodes every golden case as the tokenizer.json route does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer, PreTrainedTokenizer, completeTokenizerFolder } from './index.js';
import { pythonJson, vocabJson, vocabTxt } from './slow-files.js';
import { golden, skipWithoutGolden } from '../../testing/golden.js';

const skip = skipWithoutGolden;

const GOLDEN = golden();
const FIX = join(GOLDEN, 'fixtures');
const BERT = ['bert-tiny-seqcls', 'bert-synth-seqcls', 'bert-synth-qa', 'distilbert-synth-seqcls'];
const BPE = ['gpt2-tiny', 'gpt2-synth-lm', 'gpt2-fake-lmbuddy', 'roberta-synth-seqcls'];

/** A temporary folder; removed by the test that made it. */
function tmp(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `lengua-slowfiles-${prefix}-`));
}

/** A folder holding `files` of fixture `name` only. */
function folderWith(name: string, files: string[]): string {
  const dir = tmp('src');
  for (const f of files) copyFileSync(join(FIX, name, f), join(dir, f));
  return dir;
}

/** Saves fixture `name`'s tokenizer, loaded from `files` only, into a new folder. */
function savedFrom(name: string, files: string[]): { out: string; src: string; report: ReturnType<PreTrainedTokenizer['savePretrained']> } {
  const src = folderWith(name, files);
  const out = tmp('out');
  const report = PreTrainedTokenizer.fromDir(src).savePretrained(out);
  return { out, src, report };
}

const read = (dir: string, f: string): Buffer => readFileSync(join(dir, f));

test('from tokenizer.json alone: vocab.txt, merges.txt and indented vocab.json are the fixtures\' own bytes', { skip }, () => {
  for (const name of [...BERT, ...BPE]) {
    const { out, src, report } = savedFrom(name, ['tokenizer.json']);
    try {
      assert.equal(report.skipped, null, name);
      const vocabFile = BERT.includes(name) ? 'vocab.txt' : 'vocab.json';
      for (const f of ['tokenizer.json', vocabFile, 'tokenizer_config.json', 'special_tokens_map.json']) assert.ok(report.written.includes(f), `${name}: ${f}`);
      if (BERT.includes(name)) {
        assert.ok(read(out, 'vocab.txt').equals(read(join(FIX, name), 'vocab.txt')), `${name} vocab.txt`);
        continue;
      }
      assert.ok(read(out, 'merges.txt').equals(read(join(FIX, name), 'merges.txt')), `${name} merges.txt`);
      const mine = read(out, 'vocab.json');
      const theirs = read(join(FIX, name), 'vocab.json');
      if (name === 'gpt2-tiny' || name === 'gpt2-synth-lm') {
        // Written by GPT2Tokenizer.save_vocabulary: json.dumps(indent=2, sort_keys=True, ensure_ascii=False) + "\n".
        assert.ok(mine.equals(theirs), `${name} vocab.json`);
      } else {
        // lm-buddy's file comes from the Rust writer (compact, id order), RoBERTa's from fairseq: same map, other layout.
        assert.ok(!mine.equals(theirs));
        assert.deepEqual(JSON.parse(mine.toString('utf8')), JSON.parse(theirs.toString('utf8')), `${name} vocab.json`);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
      rmSync(src, { recursive: true, force: true });
    }
  }
});

test('tokenizer_config.json and special_tokens_map.json come out as transformers wrote them for the fixtures', { skip }, () => {
  // With the fixture's config (class, model_max_length, clean_up_tokenization_spaces), both files are byte-identical.
  for (const name of ['bert-tiny-seqcls', 'bert-synth-seqcls', 'bert-synth-qa', 'gpt2-tiny', 'gpt2-synth-lm']) {
    const { out, src } = savedFrom(name, ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']);
    try {
      for (const f of ['tokenizer_config.json', 'special_tokens_map.json']) assert.ok(read(out, f).equals(read(join(FIX, name), f)), `${name} ${f}`);
    } finally {
      rmSync(out, { recursive: true, force: true });
      rmSync(src, { recursive: true, force: true });
    }
  }
  // From tokenizer.json alone the class, the case and the special tokens are derived.
  for (const [name, cls] of [['bert-tiny-seqcls', 'BertTokenizer'], ['gpt2-tiny', 'GPT2Tokenizer'], ['roberta-synth-seqcls', 'RobertaTokenizer']] as const) {
    const { out, src } = savedFrom(name, ['tokenizer.json']);
    try {
      const cfg = JSON.parse(read(out, 'tokenizer_config.json').toString('utf8')) as Record<string, unknown>;
      const ref = JSON.parse(read(join(FIX, name), 'tokenizer_config.json').toString('utf8')) as Record<string, unknown>;
      assert.equal(cfg.tokenizer_class, cls);
      for (const k of ['do_lower_case', 'strip_accents', 'tokenize_chinese_chars', 'add_prefix_space', 'trim_offsets', 'unk_token', 'cls_token', 'sep_token', 'pad_token', 'mask_token', 'bos_token', 'eos_token']) {
        if (k in ref) assert.deepEqual(cfg[k], ref[k], `${name} ${k}`);
      }
      if (ref.added_tokens_decoder) assert.deepEqual(cfg.added_tokens_decoder, ref.added_tokens_decoder, name);
      const keys = Object.keys(cfg);
      assert.deepEqual(keys, [...keys].sort(), `${name}: keys sorted as json.dumps(sort_keys=True)`);
      if (name !== 'roberta-synth-seqcls') assert.ok(read(out, 'special_tokens_map.json').equals(read(join(FIX, name), 'special_tokens_map.json')), `${name} special_tokens_map.json`);
    } finally {
      rmSync(out, { recursive: true, force: true });
      rmSync(src, { recursive: true, force: true });
    }
  }
});

interface Case { text: string; ids: number[]; input_ids?: number[] }
interface Pair { text_a: string; text_b: string }

test('the written folder without tokenizer.json loads through the slow route and encodes every golden case alike', { skip }, async () => {
  const setups: Array<[string, string]> = [['bert-tiny', 'bert-tiny-seqcls'], ['gpt2', 'gpt2-fake-lmbuddy'], ['gpt2-tiny', 'gpt2-tiny'], ['roberta-synth', 'roberta-synth-seqcls']];
  for (const [goldenName, fixture] of setups) {
    const g = JSON.parse(readFileSync(join(GOLDEN, 'tokenizers', `${goldenName}.json`), 'utf8')) as { cases: Case[]; pairs?: Pair[] };
    const { out, src } = savedFrom(fixture, ['tokenizer.json']);
    try {
      // The same folder read through tokenizer.json (same config, so decoding options agree too).
      const fast = await AutoTokenizer.fromPretrained(out);
      assert.equal(fast.source, 'tokenizer.json');
      rmSync(join(out, 'tokenizer.json'));
      const slow = await AutoTokenizer.fromPretrained(out);
      assert.notEqual(slow.source, 'tokenizer.json', fixture);
      assert.equal(g.cases.length, 37);
      for (const c of g.cases) {
        for (const addSpecialTokens of [true, false]) {
          const a = fast.encode(c.text, { addSpecialTokens });
          const b = slow.encode(c.text, { addSpecialTokens });
          assert.deepEqual(b, a, `${fixture} ${JSON.stringify(c.text).slice(0, 60)}`);
        }
        assert.deepEqual(slow.encode(c.text).ids, c.input_ids ?? c.ids, `${fixture} golden ${JSON.stringify(c.text).slice(0, 60)}`);
        assert.equal(slow.decode(fast.encode(c.text).ids), fast.decode(fast.encode(c.text).ids));
      }
      for (const p of g.pairs ?? []) assert.deepEqual(slow.encode(p.text_a, { pair: p.text_b }), fast.encode(p.text_a, { pair: p.text_b }), `${fixture} pair`);
      assert.deepEqual([...slow.getVocab()].sort(), [...fast.getVocab()].sort());
    } finally {
      rmSync(out, { recursive: true, force: true });
      rmSync(src, { recursive: true, force: true });
    }
  }
});

test('bert-base-uncased: vocab.txt → tokenizer.json → vocab.txt gives the Hub file back byte for byte', { skip }, () => {
  const hub = join(GOLDEN, 'tokenizers/vocab/bert-base-uncased/vocab.txt');
  const first = tmp('bbu');
  copyFileSync(hub, join(first, 'vocab.txt'));
  const second = tmp('bbu2');
  const third = tmp('bbu3');
  try {
    PreTrainedTokenizer.fromDir(first).savePretrained(second);
    // Only tokenizer.json is left to write the slow file from.
    for (const f of readdirSync(second)) if (f !== 'tokenizer.json') rmSync(join(second, f));
    PreTrainedTokenizer.fromDir(second).savePretrained(third);
    assert.ok(read(third, 'vocab.txt').equals(readFileSync(hub)));
    assert.equal(read(third, 'vocab.txt').toString('utf8').split('\n').length - 1, 30522);
  } finally {
    for (const d of [first, second, third]) rmSync(d, { recursive: true, force: true });
  }
});

test('source files that mean the same are kept byte for byte; ones that disagree with tokenizer.json are replaced', { skip }, () => {
  // lm-buddy's compact vocab.json means what tokenizer.json means: copied as it is.
  const kept = savedFrom('gpt2-fake-lmbuddy', ['tokenizer.json', 'vocab.json', 'merges.txt', 'tokenizer_config.json', 'special_tokens_map.json']);
  try {
    assert.deepEqual(kept.report.replaced, []);
    assert.ok(read(kept.out, 'vocab.json').equals(read(join(FIX, 'gpt2-fake-lmbuddy'), 'vocab.json')));
  } finally {
    rmSync(kept.out, { recursive: true, force: true });
    rmSync(kept.src, { recursive: true, force: true });
  }
  // A stale vocab.txt (two tokens swapped) would give other ids than the model was trained on.
  const src = folderWith('bert-tiny-seqcls', ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']);
  const good = read(join(FIX, 'bert-tiny-seqcls'), 'vocab.txt').toString('utf8').split('\n');
  [good[10], good[11]] = [good[11]!, good[10]!];
  writeFileSync(join(src, 'vocab.txt'), good.join('\n'));
  const out = tmp('out');
  try {
    const report = PreTrainedTokenizer.fromDir(src).savePretrained(out);
    assert.deepEqual(report.replaced, ['vocab.txt']);
    assert.ok(read(out, 'vocab.txt').equals(read(join(FIX, 'bert-tiny-seqcls'), 'vocab.txt')));
    // The same rule for a folder whose files were copied (a model's savePretrained, an export).
    const copied = tmp('copied');
    try {
      for (const f of readdirSync(src)) copyFileSync(join(src, f), join(copied, f));
      const r = completeTokenizerFolder(copied, src)!;
      assert.deepEqual(r.replaced, ['vocab.txt']);
      assert.ok(read(copied, 'vocab.txt').equals(read(join(FIX, 'bert-tiny-seqcls'), 'vocab.txt')));
      // The copied config agrees with tokenizer.json: left as it was.
      assert.ok(read(copied, 'tokenizer_config.json').equals(read(join(FIX, 'bert-tiny-seqcls'), 'tokenizer_config.json')));
    } finally {
      rmSync(copied, { recursive: true, force: true });
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
    rmSync(src, { recursive: true, force: true });
  }
});

test('a copied tokenizer_config.json that contradicts tokenizer.json is rewritten from it', { skip }, async () => {
  const dir = folderWith('bert-tiny-seqcls', ['tokenizer.json', 'special_tokens_map.json']);
  try {
    const cfg = JSON.parse(read(join(FIX, 'bert-tiny-seqcls'), 'tokenizer_config.json').toString('utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ ...cfg, do_lower_case: false }));
    const r = completeTokenizerFolder(dir)!;
    assert.ok(r.replaced.includes('tokenizer_config.json'));
    assert.equal((JSON.parse(read(dir, 'tokenizer_config.json').toString('utf8')) as Record<string, unknown>).do_lower_case, true);
    rmSync(join(dir, 'tokenizer.json'));
    assert.deepEqual((await AutoTokenizer.fromPretrained(dir)).tokenize('Hello WORLD'), (await AutoTokenizer.fromPretrained(join(FIX, 'bert-tiny-seqcls'))).tokenize('Hello WORLD'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tokenizers the slow classes cannot reproduce get tokenizer.json only, and say why', () => {
  const unigram = {
    version: '1.0', truncation: null, padding: null, added_tokens: [{ id: 0, content: '<unk>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    normalizer: null, pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true }, post_processor: null,
    decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    model: { type: 'Unigram', unk_id: 0, vocab: [['<unk>', 0], ['▁a', -1], ['a', -2], ['▁', -3]], byte_fallback: false },
  };
  const wordPieceLowercase = {
    version: '1.0', truncation: null, padding: null, added_tokens: [{ id: 0, content: '[UNK]', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    normalizer: { type: 'Lowercase' }, pre_tokenizer: { type: 'Whitespace' }, post_processor: null, decoder: null,
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: { '[UNK]': 0, a: 1, '##b': 2 } },
  };
  for (const [json, why] of [[unigram, /Unigram model/], [wordPieceLowercase, /without BertNormalizer/]] as const) {
    const src = tmp('odd');
    const out = tmp('out');
    try {
      writeFileSync(join(src, 'tokenizer.json'), JSON.stringify(json));
      const report = PreTrainedTokenizer.fromDir(src).savePretrained(out);
      assert.match(report.skipped ?? '', why);
      assert.deepEqual(readdirSync(out).sort(), ['special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json']);
      assert.equal(completeTokenizerFolder(out)!.skipped, report.skipped);
      assert.deepEqual(readdirSync(out).sort(), ['special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json']);
    } finally {
      rmSync(src, { recursive: true, force: true });
      rmSync(out, { recursive: true, force: true });
    }
  }
});

test('a vocabulary whose ids are not 0..n-1 has no vocab.txt: refused with the token named', () => {
  assert.throws(() => vocabTxt({ a: 0, b: 2 }, 'x/tokenizer.json'), /"b" has id 2.*x\/tokenizer\.json|x\/tokenizer\.json.*"b" has id 2/s);
  assert.throws(() => vocabTxt({ a: 0, b: 0 }, 'x/tokenizer.json'), /id 0 is given to both "a" and "b"/);
});

test('JSON as Python writes it: keys in code point order, integer-like keys too, big integers in full', () => {
  // UTF-16 order would put U+1F600 (a surrogate pair, 0xD83D...) before U+FF01; code point order after.
  assert.equal(vocabJson({ '\u{1F600}': 0, '\uFF01': 1, '10': 2, '9': 3, 'a"\n': 4 }, 'v'), '{\n  "10": 2,\n  "9": 3,\n  "a\\"\\n": 4,\n  "\uFF01": 1,\n  "\u{1F600}": 0\n}\n');
  assert.equal(pythonJson({ b: [], a: {}, c: [1, { y: null, x: 1e30 }] }), '{\n  "a": {},\n  "b": [],\n  "c": [\n    1,\n    {\n      "x": 1000000000000000019884624838656,\n      "y": null\n    }\n  ]\n}');
});

test('a model folder saved without a tokenizer object gets the slow files too (copied files completed)', { skip }, () => {
  const dir = folderWith('roberta-synth-seqcls', ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']);
  try {
    const r = completeTokenizerFolder(dir)!;
    assert.deepEqual(r.written.sort(), ['merges.txt', 'special_tokens_map.json', 'tokenizer_config.json', 'vocab.json']);
    assert.deepEqual(r.replaced, []);
    // Kept as they were (they agree with tokenizer.json).
    for (const f of ['tokenizer_config.json', 'special_tokens_map.json']) assert.ok(read(dir, f).equals(read(join(FIX, 'roberta-synth-seqcls'), f)), f);
    assert.ok(existsSync(join(dir, 'merges.txt')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('class options and added tokens survive the slow files: cased BERT, accents, prefix space, BOS, no offset trimming, added_tokens.json', { skip }, async () => {
  type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const base = (name: string): J => JSON.parse(readFileSync(join(FIX, name, 'tokenizer.json'), 'utf8')) as J;
  const variants: Array<[string, J]> = [];
  const cased = base('bert-tiny-seqcls');
  cased.normalizer.lowercase = false;
  variants.push(['cased BERT', cased]);
  const accents = base('bert-tiny-seqcls');
  accents.normalizer.strip_accents = true;
  accents.normalizer.lowercase = false;
  accents.normalizer.handle_chinese_chars = false;
  variants.push(['strip_accents, no Chinese spacing', accents]);
  const newTok = base('bert-tiny-seqcls');
  const next = Object.keys(newTok.model.vocab).length;
  newTok.added_tokens.push({ id: next, content: 'hallo', single_word: false, lstrip: false, rstrip: false, normalized: true, special: false });
  // A special one past the vocabulary keeps its id through added_tokens.json (not the first free id).
  newTok.added_tokens.push({ id: next + 1, content: '[NEW]', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  variants.push(['added tokens past the vocabulary (added_tokens.json), one special', newTok]);
  const prefix = base('gpt2-tiny');
  prefix.pre_tokenizer.add_prefix_space = true;
  variants.push(['GPT-2 add_prefix_space', prefix]);
  const bos = base('gpt2-tiny');
  bos.post_processor = {
    type: 'TemplateProcessing',
    single: [{ SpecialToken: { id: '<|endoftext|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
    pair: [{ SpecialToken: { id: '<|endoftext|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '<|endoftext|>', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
    special_tokens: { '<|endoftext|>': { id: '<|endoftext|>', ids: [0], tokens: ['<|endoftext|>'] } },
  };
  variants.push(['GPT-2 add_bos_token', bos]);
  const untrimmed = base('roberta-synth-seqcls');
  untrimmed.post_processor.trim_offsets = false;
  variants.push(['RoBERTa trim_offsets false', untrimmed]);
  const texts = ['Héllo Wörld, it\'s  <mask> [MASK] hallo [NEW] 中文 façade Ünïcödé!', ' leading space', 'a\tb\nc'];
  for (const [label, json] of variants) {
    const src = tmp('variant');
    const out = tmp('out');
    try {
      writeFileSync(join(src, 'tokenizer.json'), JSON.stringify(json));
      const report = PreTrainedTokenizer.fromDir(src).savePretrained(out);
      assert.equal(report.skipped, null, label);
      const fast = PreTrainedTokenizer.fromDir(out);
      rmSync(join(out, 'tokenizer.json'));
      const slow = PreTrainedTokenizer.fromDir(out);
      assert.notEqual(slow.source, 'tokenizer.json');
      for (const t of texts) assert.deepEqual(slow.encode(t, { pair: t }), fast.encode(t, { pair: t }), `${label}: ${t}`);
    } finally {
      rmSync(src, { recursive: true, force: true });
      rmSync(out, { recursive: true, force: true });
    }
  }
});

// Python's own json.dumps, where python3 is installed: the serialiser's sorting and escaping on the real
// GPT-2 vocabulary (50257 tokens, byte-level symbols above U+00FF) and on a config with every value kind.
const PY = '/usr/bin/python3';
const pyProbe = spawnSync(PY, ['-c', 'import json'], { encoding: 'utf8' });
const skipPython = skipWithoutGolden || (pyProbe.status === 0 ? false : `no ${PY}`);

test('vocab.json and tokenizer_config.json equal Python json.dumps(indent=2, sort_keys=True, ensure_ascii=False) + "\\n"', { skip: skipPython }, () => {
  const dir = tmp('py');
  try {
    const json = JSON.parse(readFileSync(join(FIX, 'gpt2-fake-lmbuddy', 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number> } };
    const vocab = { ...json.model.vocab, '\u{1F600}x': 50257, '\uFF01y': 50258, 'tab\there\u0001': 50259, '9876543210': 50260 };
    const config = { b: [1, 2.5, null, true, 'é\u2028"'], a: { z: {}, y: [] }, model_max_length: 1e30, '\u{1F600}': 'x', '\uFFFD': 0 };
    writeFileSync(join(dir, 'vocab.in.json'), JSON.stringify(vocab));
    writeFileSync(join(dir, 'config.in.json'), JSON.stringify(config));
    const script = [
      'import json, sys',
      'd = sys.argv[1]',
      'v = json.load(open(d + "/vocab.in.json", encoding="utf-8"))',
      'c = json.load(open(d + "/config.in.json", encoding="utf-8"))',
      'c["model_max_length"] = int(1e30)',
      'open(d + "/vocab.py.json", "w", encoding="utf-8").write(json.dumps(v, indent=2, sort_keys=True, ensure_ascii=False) + "\\n")',
      'open(d + "/config.py.json", "w", encoding="utf-8").write(json.dumps(c, indent=2, sort_keys=True, ensure_ascii=False) + "\\n")',
    ].join('\n');
    const r = spawnSync(PY, ['-c', script, dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(Buffer.from(vocabJson(vocab, 'v')).equals(readFileSync(join(dir, 'vocab.py.json'))), 'vocab.json');
    assert.equal(pythonJson(config) + '\n', readFileSync(join(dir, 'config.py.json'), 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
