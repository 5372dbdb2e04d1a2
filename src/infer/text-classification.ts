/**
 * `text-classification`: labels and scores per text (or text pair), as transformers' pipeline gives them.
 * The function applied to the logits follows config.json as transformers decides it: `regression` → none,
 * `multi_label_classification` or a single label → sigmoid, otherwise softmax.
 */
import { LenguaError } from '../errors.js';
import { callable, checkInt, checkTexts, EncoderPipeline, labelsOf, LIMITS, sigmoid, softmax, type PipelineOptions } from './base.js';

export type FunctionToApply = 'sigmoid' | 'softmax' | 'none';

export interface TextClassificationOptions {
  /** Labels per text, best first (default 1; null = every label). */
  topK?: number | null;
  functionToApply?: FunctionToApply;
}

export interface TextClassificationSingle {
  label: string;
  score: number;
}
/** One text's labels, best first. */
export type TextClassificationOutput = TextClassificationSingle[];

/** A text pair (sentence-pair classification), named as transformers names it (`text`, `text_pair`). */
export interface TextPair {
  text: string;
  textPair: string;
}

export type TextClassificationInput = string | TextPair | Array<string | TextPair>;

export function defaultFunctionToApply(config: Record<string, unknown>, numLabels: number): FunctionToApply {
  const pt = config.problem_type;
  if (pt === 'regression') return 'none';
  if (pt === 'multi_label_classification' || numLabels === 1) return 'sigmoid';
  return 'softmax';
}

export function applyFunction(logits: ArrayLike<number>, fn: FunctionToApply): number[] {
  if (fn === 'softmax') return softmax(logits);
  if (fn === 'sigmoid') return Array.from(logits, sigmoid);
  return Array.from(logits);
}

function isPair(x: unknown): x is TextPair {
  return typeof x === 'object' && x !== null && typeof (x as TextPair).text === 'string' && typeof (x as TextPair).textPair === 'string';
}

export class TextClassificationPipeline extends EncoderPipeline {
  readonly task = 'text-classification';

  static async create(model: string, opts: PipelineOptions = {}): Promise<TextClassificationPipeline & TextClassificationPipeline['run']> {
    const { source, tokenizer, session } = await EncoderPipeline.load(model, 'text-classification', opts);
    try {
      return callable(new TextClassificationPipeline(source, tokenizer, session, 'logits', opts));
    } catch (err) {
      await session.dispose();
      throw err;
    }
  }

  run(input: string | TextPair, opts?: TextClassificationOptions): Promise<TextClassificationOutput>;
  run(input: Array<string | TextPair>, opts?: TextClassificationOptions): Promise<TextClassificationOutput[]>;
  async run(input: TextClassificationInput, opts: TextClassificationOptions = {}): Promise<TextClassificationOutput | TextClassificationOutput[]> {
    const single = !Array.isArray(input);
    const list = single ? [input] : input;
    const inputs = list.map((x, i): string | [string, string] => {
      if (isPair(x)) return [x.text, x.textPair];
      checkTexts(x, `texts[${i}]`);
      return x as string;
    });
    if (list.length > LIMITS.texts) throw new LenguaError(`at most ${LIMITS.texts} texts per call`, { field: 'texts' });
    const logits = await this.logitRows(inputs);
    const width = logits[0]?.length ?? 0;
    const labels = labelsOf(this.model.config, width, this.model.dir + '/config.json');
    const fn = opts.functionToApply ?? defaultFunctionToApply(this.model.config, width);
    if (!['sigmoid', 'softmax', 'none'].includes(fn)) throw new LenguaError(`functionToApply must be sigmoid, softmax or none, got ${JSON.stringify(fn)}`, { field: 'functionToApply' });
    const topK = opts.topK === null ? width : checkInt(opts.topK ?? 1, 'topK', 1, LIMITS.topK);
    const out = logits.map((row) => {
      const preds = applyFunction(row, fn).map((score, j) => ({ label: labels[j]!, score }));
      preds.sort((a, b) => b.score - a.score);
      return preds.slice(0, topK);
    });
    return single ? out[0]! : out;
  }
}
