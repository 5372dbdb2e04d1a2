/**
 * The reference every summarization result here is read against: the lead sentence of the abstract (the
 * classic extractive baseline; SciTLDR's paper reports it too), scored with the same rouge_score ROUGE
 * (Porter stemmer, best of the references) as `lengua train --task summarization`.
 *
 *   node --import tsx examples/summarization/baselines.ts ../shared/data/scitldr-a/validation.jsonl
 */
import { loadSeq2SeqData, rouge } from '../../src/index.js';

const file = process.argv[2];
if (file === undefined) throw new Error('usage: baselines.ts VALIDATION.jsonl');
const { pairs } = loadSeq2SeqData(file);
// The first sentence: up to the first ., ! or ? followed by whitespace (abstracts rarely abbreviate early).
const lead = pairs.map((p) => p.source.split(/(?<=[.!?])\s+/)[0]!);
const r = rouge(lead, pairs.map((p) => p.references), { useStemmer: true });
const f = (x: number | undefined): string => (x ?? NaN).toFixed(3);
process.stdout.write(`lead sentence (${pairs.length} papers, ${pairs.reduce((s, p) => s + p.references.length, 0)} references): ROUGE-1 ${f(r.rouge1)}  ROUGE-2 ${f(r.rouge2)}  ROUGE-L ${f(r.rougeL)}  ROUGE-Lsum ${f(r.rougeLsum)}\n`);
