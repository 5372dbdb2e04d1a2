/**
 * The reference every translation result here is read against: copying the source unchanged (names, numbers
 * and shared words give it a few BLEU points between English and Spanish). Scored with the same sacreBLEU BLEU
 * and chrF as `lengua train --task translation`.
 *
 *   node --import tsx examples/translation/baselines.ts ../shared/data/ntrex128-en-es/validation.jsonl
 */
import { corpusBleu, corpusChrf, loadSeq2SeqData } from '../../src/index.js';

const file = process.argv[2];
if (file === undefined) throw new Error('usage: baselines.ts VALIDATION.jsonl');
for (const [src, tgt] of [['en', 'es'], ['es', 'en']] as const) {
  const { pairs } = loadSeq2SeqData(file, { sourceLang: src, targetLang: tgt });
  const hyp = pairs.map((p) => p.source);
  const refs = [pairs.map((p) => p.target)];
  process.stdout.write(`copy-source ${src}→${tgt} (${pairs.length} pairs): BLEU ${corpusBleu(hyp, refs).score.toFixed(2)}  chrF ${corpusChrf(hyp, refs).score.toFixed(2)}\n`);
}
