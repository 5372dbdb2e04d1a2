// Token-classification evaluation: character offsets of entities, first-token word tags, CoNLL split names, gold
// tags checked against the model's labels by file and line, and a real run of a tiny BERT token classifier (random
// head, so its tags include ill-formed IOB2 sequences) whose metrics are entityMetrics of its own predictions.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConll } from '../data/index.js';
import { entityMetrics } from '../metrics/index.js';
import { GOLDEN, TINY_MODEL } from '../train/testing/task.js';
import { NER_LABELS, nerTask, toConll } from '../train/testing/ner.js';
import { charEntities, checkGoldTags, evaluateTokenClassification, firstTokenTags, inferTokenSplit, wordOffsets } from './token-classification.js';
import { renderTokenReport } from './token-report.js';

const root = mkdtempSync(join(tmpdir(), 'lengua-eval-token-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('entity offsets index the words joined with single spaces and slice the text to the entity words', () => {
  // UTF-16 units: the emoji is two of them, so offsets after it are JS string offsets.
  const words = ['Ana', '😀', 'vive', 'en', 'Zürich', 'con', 'Juan', 'Pérez', '.'];
  const tags = ['B-PER', 'O', 'O', 'O', 'I-LOC', 'O', 'B-PER', 'I-PER', 'O'];
  const text = words.join(' ');
  assert.deepEqual(wordOffsets(words)[4], [text.indexOf('Zürich'), text.indexOf('Zürich') + 6]);
  const ents = charEntities(words, tags);
  // An I-LOC after O starts an entity, as conlleval (and the scores) count it.
  assert.deepEqual(ents.map((e) => [e.type, e.text, e.wordStart, e.wordEnd]), [['PER', 'Ana', 0, 1], ['LOC', 'Zürich', 4, 5], ['PER', 'Juan Pérez', 6, 8]]);
  for (const e of ents) assert.equal(text.slice(e.start, e.end), words.slice(e.wordStart, e.wordEnd).join(' '));
  // B-LOC I-PER: two entities, split where the type changes.
  assert.deepEqual(charEntities(['a', 'b'], ['B-LOC', 'I-PER']).map((e) => [e.type, e.start, e.end]), [['LOC', 0, 1], ['PER', 2, 3]]);
});

test('firstTokenTags: each word takes its first token\'s label; a word no token starts in is O and counted', () => {
  const spans = wordOffsets(['New', 'York', 'rocks']); // [0,3] [4,8] [9,14]
  const toks = [
    { start: 0, label: 'B-LOC' }, { start: 1, label: 'O' }, // "N" "##ew": the second is ignored
    { start: 4, label: 'I-LOC' }, { start: 6, label: 'B-PER' },
  ];
  assert.deepEqual(firstTokenTags(spans, toks), { tags: ['B-LOC', 'I-LOC', 'O'], dropped: 1 });
  assert.deepEqual(firstTokenTags(spans, []), { tags: ['O', 'O', 'O'], dropped: 3 });
  // A token whose offsets begin at the space before a word is that word's first token.
  assert.deepEqual(firstTokenTags(spans, [{ start: 0, label: 'O' }, { start: 3, label: 'B-LOC' }, { start: 8, label: 'B-PER' }]).tags, ['O', 'B-LOC', 'B-PER']);
});

test('the ONNX path\'s text (a space, then the words joined by spaces) gives every word the tokens training gives it (WordPiece and byte-level BPE)', { skip: GOLDEN === null ? 'no goldens' : false }, async () => {
  const { AutoTokenizer } = await import('../text/tokenizer/index.js');
  const { encodeTokenClassification } = await import('../train/index.js');
  const words = ['Hello', 'world!', 'Ünïcode', '😀', 'U.S.', 'x'];
  const spans = wordOffsets(words).map(([a, b]) => [a + 1, b + 1] as const);
  for (const name of ['bert-synth-seqcls', 'roberta-synth-seqcls']) {
    const tok = await AutoTokenizer.fromPretrained(join(GOLDEN!, 'fixtures', name));
    const enc = encodeTokenClassification([{ tokens: words }], tok, ['O', 'B-X'], { maxLength: 128 });
    const want = words.map((_, w) => enc.inputIds[0]!.filter((_, k) => enc.wordIds[0]![k] === w));
    // What the token-classification pipeline encodes, its tokens given to words as firstTokenTags gives them.
    const e = tok.encode(` ${words.join(' ')}`);
    const got: number[][] = words.map(() => []);
    e.ids.forEach((id, k) => {
      if (e.specialTokensMask[k] === 1) return;
      const w = spans.findIndex(([, end]) => e.offsets[k]![0] < end);
      got[w]!.push(id);
    });
    assert.deepEqual(got, want, name);
  }
});

test('CoNLL split names: testa is the development set, testb the test set; other names as inferSplit reads them', () => {
  assert.equal(inferTokenSplit('/d/esp.testa.utf8'), 'validation');
  assert.equal(inferTokenSplit('eng.testb'), 'test');
  assert.equal(inferTokenSplit('emerging.dev.conll'), 'validation');
  assert.equal(inferTokenSplit('emerging.test.conll'), 'test');
  assert.equal(inferTokenSplit('wnut17train.conll'), 'train');
  assert.equal(inferTokenSplit('ner.conll'), null);
});

test('a gold tag the model lacks names the file and line of the word', () => {
  const file = join(root, 'bad.conll');
  // Line 7 holds B-MISC: after a -DOCSTART- line, blank lines and a first sentence.
  writeFileSync(file, '-DOCSTART- O\n\nin O\nbo B-LOC\n\nmr O\nka B-MISC\n');
  const data = loadConll(file);
  assert.throws(() => checkGoldTags(data, NER_LABELS), (e: Error) => e.message.includes(`${file}:7`) && /tag "B-MISC" is not among the model's labels \(O, B-LOC, I-LOC, B-PER, I-PER\)/.test(e.message));
  // IOB1 is converted first, and the message says so.
  const iob1 = join(root, 'iob1.conll');
  writeFileSync(iob1, 'in O\nbo I-LOC\nmi I-LOC\n\nka I-ORG\n');
  const d1 = loadConll(iob1, { scheme: 'IOB1' });
  assert.deepEqual(d1.sentences[0]!.tags, ['O', 'B-LOC', 'I-LOC']);
  assert.throws(() => checkGoldTags(d1, NER_LABELS), (e: Error) => e.message.includes(`${iob1}:5`) && /"B-ORG" \(the file is IOB1; tags are read as IOB2\)/.test(e.message));
});

test('a real tiny BERT token classifier: metrics are entityMetrics of its word tags, entities slice the text, cut words are O', { skip: GOLDEN === null ? 'no goldens' : false }, async () => {
  const { AutoModelForTokenClassification } = await import('../models/index.js');
  const { torchWordTagger } = await import('../cli/evaluate-token.js');
  const dir = join(root, 'tiny-ner');
  // A seeded random head over the tiny golden BERT: its tags are arbitrary, ill-formed sequences included.
  const model = await AutoModelForTokenClassification.fromPretrained(TINY_MODEL, {
    id2label: Object.fromEntries(NER_LABELS.map((l, i) => [i, l])), label2id: Object.fromEntries(NER_LABELS.map((l, i) => [l, i])), seed: 3,
  });
  await model.savePretrained(dir);
  const file = join(root, 'ner.dev.conll');
  const sentences = nerTask(40, 5);
  writeFileSync(file, toConll(sentences));
  // 12 tokens with [CLS] and [SEP]: the char-level tokenizer cuts the longer sentences, whose last words become O.
  const { tagger, labels, close } = await torchWordTagger(dir, { batchSize: 7, maxLength: 12, threads: 1 });
  const r = await evaluateTokenClassification(tagger, loadConll(file), { model: { name: dir, kind: 'BertForTokenClassification' }, engine: 'torch', labels, batchSize: 9 });
  await close();
  assert.equal(r.split, 'validation');
  assert.equal(r.splitSource, 'file name');
  assert.equal(r.n, 40);
  assert.deepEqual(r.predictions.map((p) => [p.words, p.tags]), sentences.map((s) => [s.tokens, s.tags]));
  const m = entityMetrics(r.predictions.map((p) => p.tags), r.predictions.map((p) => p.predicted), { scheme: 'IOB2' });
  assert.deepEqual(r.metrics, {
    precision: m.micro.precision, recall: m.micro.recall, f1: m.micro.f1, accuracy: m.accuracy,
    macro_precision: m.macro.precision, macro_recall: m.macro.recall, macro_f1: m.macro.f1,
    weighted_precision: m.weighted.precision, weighted_recall: m.weighted.recall, weighted_f1: m.weighted.f1,
  });
  assert.deepEqual(r.perType, m.perType);
  const predicted = r.predictions.reduce((a, p) => a + p.entities.length, 0);
  assert.equal(predicted, m.micro.predicted);
  assert.ok(predicted > 0, 'the random head predicts some entities');
  for (const p of r.predictions) {
    for (const e of [...p.entities, ...p.goldEntities]) assert.equal(p.text.slice(e.start, e.end), p.words.slice(e.wordStart, e.wordEnd).join(' '));
  }
  // 12 positions less [CLS] and [SEP] leave 10 for subwords: a word whose first subword falls past them is O.
  const { AutoTokenizer } = await import('../text/tokenizer/index.js');
  const tok = await AutoTokenizer.fromPretrained(dir);
  let cutWords = 0;
  for (const p of r.predictions) {
    let at = 0;
    p.words.forEach((w, i) => {
      if (at >= 10) {
        assert.equal(p.predicted[i], 'O');
        cutWords++;
      }
      at += tok.encode(w, { addSpecialTokens: false }).ids.length;
    });
  }
  assert.ok(cutWords > 0);
  assert.match(r.warnings.join('\n'), new RegExp(`^${cutWords} of ${r.tokens} words fall past the model's input length`));
  assert.match(r.warnings.join('\n'), /words fall past the model's input length/);
  // The confusion counts every word once.
  assert.equal(r.confusion.matrix.flat().reduce((a, b) => a + b, 0), r.tokens);
  const html = renderTokenReport(r, { title: '<NER & co>' });
  assert.match(html, /&lt;NER &amp; co&gt;/);
  assert.match(html, /validation split/);
  assert.doesNotMatch(html, /<script|\b(src|href)=/);
});
