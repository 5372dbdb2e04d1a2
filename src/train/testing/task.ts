/**
 * A small learnable task for the Trainer tests: each text is 5–8 filler letters plus one keyword
 * (x, y or z) at a random place; the keyword is the label. The tiny golden BERT learns it in about a
 * second, so tests can check real learning (well above the 1/3 majority baseline).
 */
import { mulberry32 } from '../../data/split.js';
import { AutoModelForSequenceClassification } from '../../models/index.js';
import type { PreTrainedModel } from '../../models/index.js';
import { AutoTokenizer, type PreTrainedTokenizer } from '../../text/tokenizer/index.js';
import { encodeTexts, type EncodedDataset } from '../data.js';
import { goldenRoot } from '../../testing/golden.js';
import { join } from 'node:path';

/** The tiny golden BERT classifier (3 labels), or null when the goldens are not beside the checkout. */
export const GOLDEN = goldenRoot();
export const TINY_MODEL = join(GOLDEN ?? '/nonexistent', 'fixtures', 'bert-synth-seqcls');

export function keywordTask(n: number, seed: number): { texts: string[]; labels: number[] } {
  const rand = mulberry32(seed);
  const fill = 'abcdefghijklmnop';
  const texts: string[] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const y = Math.floor(rand() * 3);
    const toks = Array.from({ length: 5 + Math.floor(rand() * 4) }, () => fill[Math.floor(rand() * fill.length)] as string);
    toks.splice(Math.floor(rand() * (toks.length + 1)), 0, 'xyz'[y] as string);
    texts.push(toks.join(' '));
    labels.push(y);
  }
  return { texts, labels };
}

export async function tinySetup(nTrain = 240, nEval = 90): Promise<{ model: PreTrainedModel; tokenizer: PreTrainedTokenizer; train: EncodedDataset; eval: EncodedDataset }> {
  const tokenizer = await AutoTokenizer.fromPretrained(TINY_MODEL);
  const model = await AutoModelForSequenceClassification.fromPretrained(TINY_MODEL);
  return { model, tokenizer, train: encodeTexts(keywordTask(nTrain, 7), tokenizer, 32), eval: encodeTexts(keywordTask(nEval, 8), tokenizer, 32) };
}
