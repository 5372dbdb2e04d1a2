// The corpus scores of generated text that the Seq2SeqTrainer and `lengua evaluate` both report, in one place so
// that training's eval_* numbers and a later evaluation of the saved folder are the same computation.
import { corpusBleu, toReferenceStreams } from './bleu.js';
import { corpusChrf } from './chrf.js';
import { rouge } from './rouge.js';

export type GenerationTask = 'translation' | 'summarization' | 'text2text-generation';

/**
 * Hugging Face's example scripts' metrics: translation → `bleu` and `chrf` (sacreBLEU, 0–100); summarization →
 * `rouge1`, `rouge2`, `rougeL`, `rougeLsum` (mean F-measure 0–1 as `evaluate` returns it, Porter-stemmed as
 * `run_summarization.py`), best over each example's references; text2text-generation → all of them.
 */
export function generationScores(task: GenerationTask, predictions: string[], references: readonly (readonly string[])[]): Record<string, number> {
  const out: Record<string, number> = {};
  if (task !== 'summarization') {
    const streams = toReferenceStreams(references);
    out.bleu = corpusBleu(predictions, streams).score;
    out.chrf = corpusChrf(predictions, streams).score;
  }
  if (task !== 'translation') Object.assign(out, rouge(predictions, references, { useStemmer: true }));
  return out;
}
