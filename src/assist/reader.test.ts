// The no-model reader: sentences with offsets and labels (questions, headings), the question's score carried
// to the statement after it, headings never answering, and the answer sliced from the passage it cites.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bm25Index, tokenize } from './bm25.js';
import type { Passage } from './documents.js';
import { ExtractiveReader, SentenceReader, sentences } from './reader.js';

test('sentences: cut at full stops and line ends, markup trimmed, questions and headings labelled', () => {
  const text = '## Shipping and delivery\n\n**Is it free?**\nYes, above 40 euros. It costs 4.90 euros otherwise!\n- Tracking by email\nShort line';
  const got = sentences(text).map((s) => [text.slice(s.start, s.end), s.label, s.question]);
  assert.deepEqual(got, [
    ['Shipping and delivery', true, false],
    ['Is it free?', true, true],
    ['Yes, above 40 euros.', false, false],
    ['It costs 4.90 euros otherwise!', false, false],
    ['Tracking by email', true, false],
    ['Short line', true, false],
  ]);
  // A long line without a full stop is a statement, not a heading; decimals do not cut.
  const long = 'the lamp works with every voice assistant we know of today';
  assert.deepEqual(sentences(long).map((s) => s.label), [false]);
});

function passage(text: string, id = 0): Passage {
  return { id, document: id, file: `d${id}.md`, text, start: 0, end: text.length, lineStart: 1, lineEnd: 1, record: false };
}

test('the sentence reader: a FAQ question leads to its answer, a heading answers nothing, equal scores keep retrieval order', async () => {
  const faq = passage('## Power\n\n**Can I use the lamp outdoors?**\nNo. It is for dry indoor rooms only.\n\n**How much power does it use?**\nNine watts.');
  const other = passage('Power and lamps\n\nThe lamp outdoors section is elsewhere.', 1);
  const index = new Bm25Index([faq, other].map((p) => tokenize(p.text, { stopwords: true })));
  const reader = new SentenceReader(index);
  const a = (await reader.read('Can I use the lamp outdoors?', [faq, other]))!;
  assert.deepEqual([a.answer, a.passage], ['No.', 0]);
  assert.equal(faq.text.slice(a.start, a.end), a.answer);
  const b = (await reader.read('power', [faq]))!;
  assert.equal(b.answer, 'Nine watts.', 'the heading "Power" matches but is not an answer');
  assert.equal(await reader.read('power', []), null);
});

test('the extractive reader picks the most probable span over the passages and skips empty ones', async () => {
  const ps = [passage('alpha beta'), passage('gamma delta', 1), passage('epsilon', 2)];
  const reader = new ExtractiveReader((inputs) =>
    Promise.resolve(
      inputs.map((x, i) => (i === 2 ? { answer: '', score: 0.99, start: 0, end: 0 } : { answer: x.context.split(' ')[1]!, score: [0.2, 0.6][i]!, start: x.context.indexOf(' ') + 1, end: x.context.length })),
    ),
  );
  const a = (await reader.read('q', ps))!;
  assert.deepEqual([a.answer, a.passage, a.start, a.end, a.score], ['delta', 1, 6, 11, 0.6]);
  assert.equal(await reader.read('q', []), null);
});
