// Word-to-subword label alignment (run_ner.py's tokenize_and_align_labels) on the golden WordPiece and
// byte-level BPE tokenizers, against hand-built expectations, and the collate's padding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { AutoTokenizer } from '../text/tokenizer/index.js';
import { LenguaError } from '../errors.js';
import { goldenRoot } from '../testing/golden.js';
import { collateTokenClassification, encodeTokenClassification, wordTags } from './token-data.js';

const GOLDEN = goldenRoot();
const skip = GOLDEN === null ? 'no goldens' : false;
const BERT = join(GOLDEN ?? '/nonexistent', 'fixtures', 'bert-synth-seqcls');
const ROBERTA = join(GOLDEN ?? '/nonexistent', 'fixtures', 'roberta-synth-seqcls');
const LABELS = ['O', 'B-LOC', 'I-LOC'];
const SENTENCE = { tokens: ['in', 'New', 'York'], tags: ['O', 'B-LOC', 'I-LOC'], line: 7 };
const X = -100;

test('WordPiece: the first subword of each word carries its label, the rest -100 (or I- with labelAllTokens)', { skip }, async () => {
  const tok = await AutoTokenizer.fromPretrained(BERT);
  // [CLS] i ##n | n ##e ##w | y ##o ##r ##k [SEP] in the tiny char-level vocabulary.
  const first = encodeTokenClassification([SENTENCE], tok, LABELS, { maxLength: 64 });
  assert.deepEqual(first.inputIds[0], [2, 51, 805, 56, 795, 804, 67, 798, 796, 810, 3]);
  assert.deepEqual(first.labels[0], [X, 0, X, 1, X, X, 2, X, X, X, X]);
  assert.deepEqual(first.wordIds[0], [null, 0, 0, 1, 1, 1, 2, 2, 2, 2, null]);
  assert.deepEqual(first.firstTokens[0], [1, 3, 6]);
  // The pre-split words give what the running text gives, word ids included.
  const running = tok.encode('in New York');
  assert.deepEqual(first.inputIds[0], running.ids);
  assert.deepEqual(first.wordIds[0], running.wordIds);

  const all = encodeTokenClassification([SENTENCE], tok, LABELS, { maxLength: 64, labelAllTokens: true });
  assert.deepEqual(all.labels[0], [X, 0, 0, 1, 2, 2, 2, 2, 2, 2, X]);
  // A B- label without its I- form stays B- on the later subwords (run_ner.py's b_to_i_label).
  const noI = encodeTokenClassification([{ tokens: ['New'], tags: ['B-LOC'] }], tok, ['O', 'B-LOC'], { maxLength: 64, labelAllTokens: true });
  assert.deepEqual(noI.labels[0], [X, 1, 1, 1, X]);
});

test('byte-level BPE: every word is tokenized after a space (add_prefix_space), as in running text with a leading space', { skip }, async () => {
  const tok = await AutoTokenizer.fromPretrained(ROBERTA);
  // <s> Ġin | ĠNew | ĠY ork </s>
  const enc = encodeTokenClassification([SENTENCE], tok, LABELS, { maxLength: 64 });
  assert.deepEqual(enc.inputIds[0], [0, 287, 818, 624, 546, 2]);
  assert.deepEqual(enc.labels[0], [X, 0, 1, 2, X, X]);
  assert.deepEqual(enc.wordIds[0], [null, 0, 1, 2, 2, null]);
  const running = tok.encode(' in New York');
  assert.deepEqual(enc.inputIds[0], running.ids);
  assert.deepEqual(enc.wordIds[0], running.wordIds);
  const all = encodeTokenClassification([SENTENCE], tok, LABELS, { maxLength: 64, labelAllTokens: true });
  assert.deepEqual(all.labels[0], [X, 0, 1, 2, 2, X]);
  assert.equal(enc.padTokenId, 1);
});

test('truncation cuts subwords; a word left without a position is predicted O', { skip }, async () => {
  const tok = await AutoTokenizer.fromPretrained(BERT);
  // maxLength 6: [CLS] i ##n n ##e [SEP] — York is cut, New keeps its first subword.
  const enc = encodeTokenClassification([SENTENCE], tok, LABELS, { maxLength: 6 });
  assert.deepEqual(enc.inputIds[0], [2, 51, 805, 56, 795, 3]);
  assert.deepEqual(enc.labels[0], [X, 0, X, 1, X, X]);
  assert.deepEqual(enc.firstTokens[0], [1, 3, -1]);
  assert.equal(enc.droppedWords, 1);
  // Position labels 0 (O) at [CLS], 1 at "i", 2 at "n": words take their first subword's label.
  assert.deepEqual(wordTags(enc, 0, [0, 1, 0, 2, 0, 0]), ['B-LOC', 'I-LOC', 'O']);
  assert.throws(() => encodeTokenClassification([SENTENCE], tok, LABELS, { maxLength: 2 }), /maxLength must be an integer that leaves room/);
});

test('a tag outside the labels is a LenguaError naming the file and the line of the word', { skip }, async () => {
  const tok = await AutoTokenizer.fromPretrained(BERT);
  const bad = { tokens: ['in', 'Rome'], tags: ['O', 'B-GPE'], line: 12 };
  assert.throws(
    () => encodeTokenClassification([SENTENCE, bad], tok, LABELS, { maxLength: 64, file: 'dev.conll' }),
    (e: unknown) => e instanceof LenguaError && e.file === 'dev.conll' && e.line === 13 && e.message.startsWith('dev.conll:13') && /tag "B-GPE" is not among the model's labels/.test(e.message),
  );
});

test('collate pads ids with the pad id, the mask with 0 and labels with -100', { skip }, async () => {
  const tok = await AutoTokenizer.fromPretrained(ROBERTA);
  const enc = encodeTokenClassification([SENTENCE, { tokens: ['York'], tags: ['B-LOC'] }], tok, LABELS, { maxLength: 64 });
  const b = collateTokenClassification(enc, [1, 0]);
  assert.deepEqual(b.inputIds.toArray(), [[0, 624, 546, 2, 1, 1], [0, 287, 818, 624, 546, 2]]);
  assert.deepEqual(b.attentionMask.toArray(), [[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1]]);
  assert.deepEqual(b.labels.toArray(), [[X, 1, X, X, X, X], [X, 0, 1, 2, X, X]]);
});
