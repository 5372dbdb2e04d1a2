/**
 * `zero-shot-classification`: an NLI model (a sequence classifier with an entailment label) scores each
 * candidate label as the hypothesis "This example is {label}." against the text, as transformers'
 * ZeroShotClassificationPipeline does: single-label — softmax of the entailment logits over the labels;
 * multi-label (or one label) — per label, softmax of [contradiction, entailment]. The entailment id is the
 * first label2id name starting with "entail" (case-insensitive); the contradiction id is 0, or 1 when
 * entailment is 0.
 */
import { LenguaError } from '../errors.js';
import { callable, checkTexts, EncoderPipeline, softmax, type PipelineOptions } from './base.js';

export interface ZeroShotClassificationOptions {
  /** Default "This example is {}."; `{}` is replaced by each label. */
  hypothesisTemplate?: string;
  /** Labels scored independently (they need not sum to 1). Default false. */
  multiLabel?: boolean;
}

export interface ZeroShotClassificationOutput {
  sequence: string;
  labels: string[];
  scores: number[];
}

export const MAX_CANDIDATE_LABELS = 1000;

/** The entailment id from config.json's label2id, as transformers finds it. */
export function entailmentId(config: Record<string, unknown>, file: string): number {
  const label2id = (config.label2id ?? {}) as Record<string, unknown>;
  for (const [label, id] of Object.entries(label2id)) {
    if (label.toLowerCase().startsWith('entail') && typeof id === 'number') return id;
  }
  // transformers falls back to the last label with a warning; a silently wrong score is worse than an error.
  throw new LenguaError(`no label starting with "entail" in label2id (${Object.keys(label2id).join(', ') || 'empty'}): zero-shot classification needs an NLI model`, { file, field: 'label2id' });
}

export class ZeroShotClassificationPipeline extends EncoderPipeline {
  readonly task = 'zero-shot-classification';

  static async create(model: string, opts: PipelineOptions = {}): Promise<ZeroShotClassificationPipeline & ZeroShotClassificationPipeline['run']> {
    const { source, tokenizer, session } = await EncoderPipeline.load(model, 'text-classification', opts);
    try {
      entailmentId(source.config, source.dir + '/config.json');
      return callable(new ZeroShotClassificationPipeline(source, tokenizer, session, 'logits', opts));
    } catch (err) {
      await session.dispose();
      throw err;
    }
  }

  run(input: string, candidateLabels: string | string[], opts?: ZeroShotClassificationOptions): Promise<ZeroShotClassificationOutput>;
  run(input: string[], candidateLabels: string | string[], opts?: ZeroShotClassificationOptions): Promise<ZeroShotClassificationOutput[]>;
  async run(input: string | string[], candidateLabels: string | string[], opts: ZeroShotClassificationOptions = {}): Promise<ZeroShotClassificationOutput | ZeroShotClassificationOutput[]> {
    const { texts, single } = checkTexts(input);
    const labels = typeof candidateLabels === 'string' ? candidateLabels.split(',').map((l) => l.trim()).filter((l) => l !== '') : candidateLabels;
    if (!Array.isArray(labels) || labels.length === 0) throw new LenguaError('give at least one candidate label', { field: 'candidateLabels' });
    if (labels.length > MAX_CANDIDATE_LABELS) throw new LenguaError(`at most ${MAX_CANDIDATE_LABELS} candidate labels, got ${labels.length}`, { field: 'candidateLabels' });
    labels.forEach((l, i) => {
      if (typeof l !== 'string') throw new LenguaError(`candidate label ${i} is not a string`, { field: `candidateLabels[${i}]` });
    });
    const template = opts.hypothesisTemplate ?? 'This example is {}.';
    if (typeof template !== 'string' || !template.includes('{}')) throw new LenguaError(`the hypothesis template must contain {} (where the label goes), got ${JSON.stringify(template)}`, { field: 'hypothesisTemplate' });
    const entail = entailmentId(this.model.config, this.model.dir + '/config.json');
    const contra = entail === 0 ? 1 : 0;
    const pairs: Array<[string, string]> = texts.flatMap((t) => labels.map((l): [string, string] => [t, template.replace('{}', l)]));
    // The hypothesis is kept whole; only the text is truncated, as transformers does (only_first).
    const logits = await this.logitRows(pairs, 'only_first');
    const multi = opts.multiLabel === true || labels.length === 1;
    const out = texts.map((sequence, s) => {
      const rows = logits.slice(s * labels.length, (s + 1) * labels.length);
      const scores = multi ? rows.map((r) => softmax([r[contra]!, r[entail]!])[1]!) : softmax(rows.map((r) => r[entail]!));
      const order = scores.map((_, k) => k).sort((a, b) => scores[b]! - scores[a]! || a - b);
      return { sequence, labels: order.map((k) => labels[k]!), scores: order.map((k) => scores[k]!) };
    });
    return single ? out[0]! : out;
  }
}
