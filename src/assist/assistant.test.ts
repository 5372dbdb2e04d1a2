// The assistant over a small English and Spanish folder: BM25 alone (no model), then with a real encoder
// (the golden tiny BERT exported for feature-extraction, on ONNX Runtime) fused by reciprocal rank fusion.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportToOnnx } from '../export/index.js';
import { golden, skipWithoutGolden as skip } from '../testing/golden.js';
import { Assistant, NOTHING_FOUND, type AssistantAnswer } from './assistant.js';
import { cosine, loadEncoder, RRF_K } from './dense.js';
import { GenerativeReader, generativePrompt, loadExtractiveReader, type Reader } from './reader.js';
import { pipeline, type QuestionAnsweringOutput } from '../infer/index.js';
import { QUESTIONS, writeDocs } from './testing.js';

const root = mkdtempSync(join(tmpdir(), 'lengua-assist-'));
after(() => rmSync(root, { recursive: true, force: true }));
const docs = writeDocs(join(root, 'docs'));
const encoderDir = join(root, 'encoder');
const qaDir = join(root, 'qa');

before(async () => {
  if (skip !== false) return;
  await exportToOnnx(golden('fixtures', 'bert-synth-seqcls'), encoderDir, { threads: 1, task: 'feature-extraction' });
  await exportToOnnx(golden('fixtures', 'bert-synth-qa'), qaDir, { threads: 1, task: 'question-answering' });
});

/** The citation points at the text it quotes: file offsets slice back to the answer, lines hold it. */
function checkCitation(a: AssistantAnswer): void {
  const c = a.citation!;
  const fileText = readFileSync(join(docs, c.file), 'utf8');
  if (c.record) {
    // A .jsonl record: offsets are into its text field, on line c.lines[0].
    const record = (JSON.parse(fileText.split('\n')[c.lines[0] - 1]!) as { text: string }).text;
    assert.equal(record.slice(c.start, c.end), a.answer);
    assert.equal(record.slice(c.passage.start, c.passage.end), c.passage.text);
  } else {
    assert.equal(fileText.slice(c.start, c.end), a.answer);
    assert.equal(fileText.slice(c.passage.start, c.passage.end), c.passage.text);
    const lines = fileText.split('\n');
    assert.ok(lines.slice(c.lines[0] - 1, c.lines[1]).join('\n').includes(a.answer), 'the cited lines hold the answer');
  }
  assert.ok(c.passage.text.includes(a.answer));
}

test('BM25 only: each question is answered with the sentence that answers it, citing its file and lines', async () => {
  const assistant = await Assistant.fromFolder(docs);
  assert.equal(assistant.reader.kind, 'sentence');
  for (const q of QUESTIONS) {
    const a = await assistant.ask(q.question);
    assert.equal(a.found, true, q.question);
    assert.match(a.answer, q.holds, q.question);
    assert.equal(a.citation!.file, q.file, q.question);
    assert.deepEqual(a.citation!.lines, q.lines, q.question);
    checkCitation(a);
    assert.ok(a.retrieved.length >= 1 && a.retrieved.length <= 3);
    assert.equal(a.retrieved[0]!.file, q.file, 'the cited passage is the best retrieved');
    for (let i = 1; i < a.retrieved.length; i++) assert.ok(a.retrieved[i - 1]!.score >= a.retrieved[i]!.score);
  }
  // The FAQ's question line matches best, but the answer is the line after it.
  const reset = await assistant.ask('reset the router');
  assert.doesNotMatch(reset.answer, /\?$/);
  await assistant.dispose();
});

test('nothing relevant: a clear answer with no citation; bad questions and topK refused', async () => {
  const assistant = await Assistant.fromFolder(docs);
  for (const q of ['What colour is the sky on Mars?', 'the of and ¿qué?']) {
    const a = await assistant.ask(q);
    assert.equal(a.found, false);
    assert.equal(a.answer, NOTHING_FOUND);
    assert.equal(a.citation, null);
    assert.deepEqual(a.retrieved, []);
  }
  await assert.rejects(assistant.ask('  '), /field "question": the question is empty/);
  await assert.rejects(assistant.ask('x'.repeat(5000)), /field "question": a question has at most 4096 characters/);
  await assert.rejects(assistant.ask('router', { topK: 0 }), /field "topK"/);
  assert.equal((await assistant.ask('router', { topK: 100 })).retrieved.length, assistant.passages.filter((p) => /router/i.test(p.text)).length);
  const empty = await Assistant.fromFolder(join(root, 'docs', 'notes'), { maxFiles: 1 });
  assert.equal((await empty.ask('router')).found, false);
});

test('a generative reader gets "question: … context: …" for the best passage; its answer is cited where it occurs', async () => {
  const prompts: string[] = [];
  // A stand-in generator that answers with a span of the context it was given (what a T5 QA model does).
  const reader: Reader = new GenerativeReader((prompt) => {
    prompts.push(prompt);
    return Promise.resolve(/ten seconds/i.test(prompt) ? 'Ten seconds' : 'something else entirely');
  });
  const assistant = await Assistant.fromFolder(docs, { reader });
  const a = await assistant.ask('How do I reset the router?');
  assert.equal(prompts.length, 1);
  assert.equal(prompts[0], generativePrompt('How do I reset the router?', a.retrieved[0]!.text));
  assert.equal(a.answer, 'Ten seconds');
  assert.equal(a.reader, 'generative');
  assert.equal(a.score, null);
  const c = a.citation!;
  assert.equal(readFileSync(join(docs, c.file), 'utf8').slice(c.start, c.end), 'ten seconds', 'found case-insensitively');
  const b = await assistant.ask('How long does delivery take?');
  assert.equal(b.answer, 'something else entirely');
  assert.deepEqual([b.citation!.start, b.citation!.end], [b.citation!.passage.start, b.citation!.passage.end], 'not a span: the passage is cited');
});

test('with a real encoder: cosines are the embeddings’, the ranking is their reciprocal rank fusion with BM25', { skip }, async () => {
  const embedder = await loadEncoder(encoderDir, { numThreads: 1 });
  const assistant = await Assistant.fromFolder(docs, { embedder });
  const n = assistant.passages.length;
  const check = await loadEncoder(encoderDir, { numThreads: 1 });
  const pv = await check.embed(assistant.passages.map((p) => p.text));
  for (const q of QUESTIONS) {
    const a = await assistant.ask(q.question, { topK: n });
    assert.equal(a.retrieved.length, n, 'dense retrieval ranks every passage');
    const [qv] = await check.embed([q.question]);
    // A passage is its file, first line and offset (two .jsonl records both start at offset 0).
    const byPlace = new Map(assistant.passages.map((p, i) => [`${p.file}:${p.lineStart}:${p.start}`, i]));
    const idx = a.retrieved.map((r) => byPlace.get(`${r.file}:${r.lines[0]}:${r.start}`)!);
    assert.equal(new Set(idx).size, n);
    // Cosines of normalized float32 embeddings of dimension 32: each summed in float64, equal to 1e-12.
    idx.forEach((i, k) => assert.ok(Math.abs(a.retrieved[k]!.similarity! - cosine(qv!, pv[i]!)) < 1e-12));
    // RRF recomputed from the two rankings: BM25 (positive scores only) and cosine, ties by passage order.
    const rank = (score: (i: number) => number, keep: (i: number) => boolean): Map<number, number> =>
      new Map([...Array(n).keys()].filter(keep).sort((x, y) => score(y) - score(x) || x - y).map((i, r) => [i, r + 1]));
    const bm = rank((i) => a.retrieved[idx.indexOf(i)]!.bm25, (i) => a.retrieved[idx.indexOf(i)]!.bm25 > 0);
    const dn = rank((i) => cosine(qv!, pv[i]!), () => true);
    idx.forEach((i, k) => {
      const want = (bm.has(i) ? 1 / (RRF_K + bm.get(i)!) : 0) + 1 / (RRF_K + dn.get(i)!);
      assert.ok(Math.abs(a.retrieved[k]!.score - want) < 1e-15, `${q.question} #${k}`);
    });
    // The default topK (3) still finds the answering passage: BM25's first is within the fused top 3 here.
    const top = await assistant.ask(q.question);
    assert.equal(top.citation!.file, q.file, q.question);
    assert.deepEqual(top.citation!.lines, q.lines, q.question);
    checkCitation(top);
  }
  // No term in common: dense retrieval alone, only above minSimilarity.
  const strict = await Assistant.fromFolder(docs, { embedder, minSimilarity: 1 });
  assert.equal((await strict.ask('zebra giraffe')).found, false);
  const loose = await Assistant.fromFolder(docs, { embedder, minSimilarity: -1 });
  const para = await loose.ask('zebra giraffe');
  assert.equal(para.found, true);
  assert.equal(para.score, 0, 'the sentence reader found no shared term: first statement, score 0');
  checkCitation(para);
  await check.dispose();
  await assistant.dispose();
});

test('with a real extractive QA export: the most probable span over the retrieved passages, cited where it is', { skip }, async () => {
  const reader = await loadExtractiveReader(qaDir, { numThreads: 1 });
  const assistant = await Assistant.fromFolder(docs, { reader });
  // The reference: the pipeline itself on each retrieved passage. bert-synth-qa has 64 positions, so the
  // reader keeps a quarter of them (16 tokens) for the question.
  const qa = await pipeline('question-answering', qaDir, { numThreads: 1 });
  for (const q of QUESTIONS) {
    // topK 1: the span comes from BM25's best passage, the right file. (bert-synth-qa has random weights, so
    // which span of it is arbitrary: the line checked is the span's own line, not the answering one.)
    const one = await assistant.ask(q.question, { topK: 1 });
    assert.equal(one.reader, 'extractive');
    assert.equal(one.citation!.file, q.file, q.question);
    checkCitation(one);
    const three = await assistant.ask(q.question, { topK: 3 });
    const direct = (await qa(three.retrieved.map((r) => ({ question: q.question, context: r.text })), { maxQuestionLen: 16 })) as QuestionAnsweringOutput[];
    const best = direct.reduce((b, r, i) => (r.score > direct[b]!.score ? i : b), 0);
    assert.equal(three.answer, direct[best]!.answer);
    assert.equal(three.score, direct[best]!.score);
    assert.equal(three.citation!.file, three.retrieved[best]!.file);
    assert.equal(three.citation!.start, three.retrieved[best]!.start + direct[best]!.start);
    checkCitation(three);
  }
  await qa.dispose();
  await assistant.dispose();
});
