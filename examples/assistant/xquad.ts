// The assistant measured on XQuAD (English and Spanish, train + validation articles; the held-out test articles
// are not read): every distinct paragraph becomes a record of one .jsonl document, every question is asked, and we
// count how often the paragraph that holds the gold answer is retrieved first / in the top 3, how often the cited
// line is that paragraph's, and how often the answer sentence contains the gold answer (SQuAD normalization) —
// next to a naive reader that answers with the first sentence of the best passage.
// BM25 with its defaults (k1 1.2, b 0.75, stopwords dropped, 100-word passages): nothing here was tuned on it.
//
//   node --import tsx examples/assistant/xquad.ts [SHARED]     (SHARED default: <repo>/../shared)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Assistant, sentences } from '../../src/assist/index.js';
import { normalizeAnswer } from '../../src/metrics/index.js';

interface Row {
  context: string;
  question: string;
  answers: { text: string[] };
}

const here = import.meta.dirname;
const shared = resolve(process.argv[2] ?? join(here, '..', '..', '..', 'shared'));
const results: Record<string, Record<string, number>> = {};
for (const lang of ['en', 'es']) {
  const rows: Row[] = [];
  for (const split of ['train', 'validation']) {
    const text = readFileSync(join(shared, 'data', 'xquad-en-es', `${split}.${lang}.jsonl`), 'utf8');
    for (const line of text.split('\n')) if (line.trim() !== '') rows.push(JSON.parse(line) as Row);
  }
  const contexts = [...new Set(rows.map((r) => r.context))];
  const lineOf = new Map(contexts.map((c, i) => [c, i + 1]));
  const docs = join(here, 'out', `xquad-${lang}`);
  mkdirSync(docs, { recursive: true });
  writeFileSync(join(docs, 'paragraphs.jsonl'), contexts.map((c) => JSON.stringify({ text: c })).join('\n') + '\n');

  const t0 = performance.now();
  const assistant = await Assistant.fromFolder(docs);
  const indexSeconds = (performance.now() - t0) / 1000;
  let top1 = 0;
  let top3 = 0;
  let cited = 0;
  let contains = 0;
  let firstSentence = 0;
  const t1 = performance.now();
  for (const r of rows) {
    const want = lineOf.get(r.context)!;
    const a = await assistant.ask(r.question, { topK: 3 });
    if (a.retrieved[0]?.lines[0] === want) top1++;
    if (a.retrieved.some((p) => p.lines[0] === want)) top3++;
    if (a.citation?.lines[0] === want) cited++;
    const gold = normalizeAnswer(r.answers.text[0]!);
    if (a.found && normalizeAnswer(a.answer).includes(gold)) contains++;
    const best = a.retrieved[0];
    const first = best !== undefined ? sentences(best.text)[0] : undefined;
    if (best !== undefined && first !== undefined && normalizeAnswer(best.text.slice(first.start, first.end)).includes(gold)) firstSentence++;
  }
  const askMs = (performance.now() - t1) / rows.length;
  await assistant.dispose();
  const pct = (n: number): number => Math.round((1000 * n) / rows.length) / 10;
  results[lang] = {
    paragraphs: contexts.length,
    passages: assistant.passages.length,
    questions: rows.length,
    'retrieved first (%)': pct(top1),
    'in the top 3 (%)': pct(top3),
    'cited paragraph right (%)': pct(cited),
    'answer sentence holds the gold answer (%)': pct(contains),
    'naive: first sentence of the best passage (%)': pct(firstSentence),
    'index (s)': Math.round(indexSeconds * 1000) / 1000,
    'per question (ms)': Math.round(askMs * 100) / 100,
  };
}
console.table(results);
writeFileSync(join(here, 'out', 'xquad-results.json'), JSON.stringify(results, null, 2) + '\n');
