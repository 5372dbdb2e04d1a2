// `lengua assist` as a real process over a small English and Spanish folder: questions from flags and from
// stdin, text and JSON output citing file and lines, bounds and flag errors, and training folders given as
// --encoder, --qa and --generator exported on the fly (said on stderr).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { golden, skipWithoutGolden as skip } from '../testing/golden.js';
import { QUESTIONS, writeDocs } from '../assist/testing.js';
import { generativePrompt, GENERATED_ANSWER_TOKENS, type AssistantAnswer } from '../assist/index.js';
import { pipeline } from '../infer/index.js';
import { tinyT5, TINY_SENTENCES } from '../infer/generation/testing.js';
import { runCli } from './testing.js';

const root = mkdtempSync(join(tmpdir(), 'lengua-cli-assist-'));
after(() => rmSync(root, { recursive: true, force: true }));
const docs = writeDocs(join(root, 'docs'));
const lengua = (args: string[], input?: string) => runCli(['assist', '--docs', docs, ...args], { timeout: 180_000, ...(input !== undefined ? { input } : {}) });

test('questions on the command line: the answer, then "source: FILE:LINES" and the passage excerpt', () => {
  const r = lengua(['--question', QUESTIONS[0]!.question, QUESTIONS[1]!.question, 'What is the capital of Peru?']);
  assert.equal(r.status, 0, r.stderr);
  const blocks = r.stdout.trimEnd().split('\n\n');
  assert.equal(blocks.length, 3);
  for (const [i, block] of blocks.slice(0, 2).entries()) {
    const [answer, source, context] = block.split('\n');
    assert.match(answer!, QUESTIONS[i]!.holds);
    assert.equal(source, `source: ${QUESTIONS[i]!.file}:${QUESTIONS[i]!.lines[0]}`);
    assert.ok(context!.startsWith('  ') && context!.includes(answer!), 'the excerpt shows the answer in its passage');
  }
  assert.equal(blocks[2], 'I found nothing relevant in the documents.');
});

test('questions from stdin, one per line, answered as JSON lines that cite the text they quote', () => {
  const r = lengua(['--json', '--top-k', '2'], QUESTIONS.map((q) => q.question).join('\n') + '\n\n');
  assert.equal(r.status, 0, r.stderr);
  const answers = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as AssistantAnswer);
  assert.equal(answers.length, QUESTIONS.length, 'the blank line is skipped');
  answers.forEach((a, i) => {
    assert.equal(a.question, QUESTIONS[i]!.question);
    assert.equal(a.found, true);
    assert.ok(a.retrieved.length <= 2);
    const c = a.citation!;
    assert.deepEqual([c.file, c.lines], [QUESTIONS[i]!.file, QUESTIONS[i]!.lines]);
    if (!c.record) assert.equal(readFileSync(join(docs, c.file), 'utf8').slice(c.start, c.end), a.answer);
  });
});

test('bounds and bad flags fail with one line naming the file, the limit or the flag', () => {
  const many = lengua(['--max-files', '2', '--question', 'router']);
  assert.equal(many.status, 1);
  assert.match(many.stderr, /^lengua: .*notes\/releases\.jsonl: more than 2 document files \(maxFiles\)/);
  const big = join(root, 'big');
  writeDocs(big);
  writeFileSync(join(big, 'huge.txt'), 'router '.repeat(200_000));
  const huge = runCli(['assist', '--docs', big, '--max-file-mb', '1', '--question', 'router'], { timeout: 60_000 });
  assert.equal(huge.status, 1);
  assert.match(huge.stderr, /huge\.txt: 1400000 bytes, over the limit of 1048576 per file \(maxFileBytes\)/);
  assert.match(lengua(['--top-k', '0', '--question', 'x']).stderr, /field "--top-k": expected a whole number in \[1, 100\]/);
  assert.match(lengua(['--qa', 'a', '--generator', 'b', '--question', 'x']).stderr, /give --qa or --generator, not both/);
  const long = lengua([], `${'why '.repeat(2000)}\n`);
  assert.equal(long.status, 1);
  assert.match(long.stderr, /stdin:1: field "question": a question has at most 4096 characters/);
  assert.match(runCli(['assist', '--docs', join(root, 'nope'), '--question', 'x']).stderr, /nope: no such file or folder/);
});

test('--encoder with a training folder: exported to a temporary folder (said on stderr), then fused with BM25', { skip }, () => {
  const r = lengua(['--encoder', golden('fixtures', 'bert-synth-seqcls'), '--threads', '1', '--json', '--question', QUESTIONS[0]!.question, QUESTIONS[4]!.question]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /--encoder .*bert-synth-seqcls has no onnx\/model\.onnx; exporting it for feature-extraction to (\S+) \(removed at the end/);
  const tmp = /to (\S+) \(removed/.exec(r.stderr)![1]!;
  assert.throws(() => readFileSync(join(tmp, 'config.json')), /ENOENT/, 'the temporary export is removed');
  const answers = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as AssistantAnswer);
  for (const [i, q] of [QUESTIONS[0]!, QUESTIONS[4]!].entries()) {
    assert.deepEqual([answers[i]!.citation!.file, answers[i]!.citation!.lines], [q.file, q.lines]);
    assert.ok(answers[i]!.retrieved.every((p) => typeof p.similarity === 'number'), 'dense scores present');
  }
});

test('--qa with a training folder (the golden QA BERT): exported, then the span it finds in the best passage is cited', { skip }, () => {
  const r = lengua(['--qa', golden('fixtures', 'bert-synth-qa'), '--threads', '1', '--top-k', '1', '--json', '--question', QUESTIONS[3]!.question]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /--qa .*bert-synth-qa has no onnx\/model\.onnx; exporting it for question-answering/);
  const a = JSON.parse(r.stdout) as AssistantAnswer;
  assert.equal(a.reader, 'extractive');
  assert.ok(a.score! > 0 && a.score! <= 1, 'a span probability');
  assert.equal(a.citation!.file, QUESTIONS[3]!.file);
  assert.equal(readFileSync(join(docs, a.citation!.file), 'utf8').slice(a.citation!.start, a.citation!.end), a.answer);
});

test('--generator with a T5 training folder: exported; its answer is what the text2text pipeline writes for the prompt', async () => {
  const t5 = mkdtempSync(join(root, 't5-'));
  const { modelDir, exported } = await tinyT5(t5);
  // Documents in the tiny T5's own vocabulary (its Unigram tokenizer knows only these sentences).
  const tiny = join(t5, 'docs');
  mkdirSync(tiny);
  writeFileSync(join(tiny, 'tiny.txt'), TINY_SENTENCES.map((s) => `${s}.`).join('\n\n') + '\n');
  const questions = ['is the weather nice today', 'where does the cat sleep'];
  const r = runCli(['assist', '--docs', tiny, '--generator', modelDir, '--threads', '1', '--top-k', '1', '--passage-words', '8', '--json', '--question', ...questions], { timeout: 180_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /--generator .* has no onnx\/decoder_model_merged\.onnx; exporting it for text2text-generation/);
  const answers = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as AssistantAnswer);
  const generator = await pipeline('text2text-generation', exported, { numThreads: 1 });
  try {
    for (const a of answers) {
      const [want] = await generator(generativePrompt(a.question, a.retrieved[0]!.text), { maxNewTokens: GENERATED_ANSWER_TOKENS });
      const text = (want as { generated_text: string }).generated_text.trim();
      assert.match(a.retrieved[0]!.text, /weather|cat/);
      assert.equal(a.citation!.file, 'tiny.txt');
      if (text !== '') {
        // Random weights: words, not a span of the passage, so the passage is cited whole.
        assert.deepEqual([a.reader, a.answer, a.score], ['generative', text, null]);
        assert.deepEqual([a.citation!.start, a.citation!.end], [a.citation!.passage.start, a.citation!.passage.end]);
      } else {
        // The generator wrote nothing: the best sentence of the passage answers instead, and says so.
        assert.deepEqual([a.reader, a.answer], ['sentence', a.retrieved[0]!.text]);
      }
    }
    // With these weights and prompts, one of each (so both branches above ran).
    assert.deepEqual(answers.map((a) => a.reader).sort(), ['generative', 'sentence']);
  } finally {
    await generator.dispose();
  }
});
