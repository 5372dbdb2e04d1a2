/**
 * `fill-mask`: the most likely tokens at the mask token, as transformers' FillMaskPipeline gives them —
 * `{score, token, token_str, sequence}`, softmax over the vocabulary (restricted to `targets` when given;
 * the scores are still the full softmax's, as in transformers).
 */
import { LenguaError } from '../errors.js';
import { callable, checkInt, checkTexts, EncoderPipeline, LIMITS, softmax, type PipelineOptions } from './base.js';

export interface FillMaskOptions {
  /** Predictions per mask (default 5). */
  topK?: number;
  /** Only these words are scored; a word that is not one token counts as its first token (as in transformers). */
  targets?: string | string[];
}

export interface FillMaskSingle {
  score: number;
  token: number;
  token_str: string;
  sequence: string;
}
/** One mask's predictions, best first. */
export type FillMaskOutput = FillMaskSingle[];

export class FillMaskPipeline extends EncoderPipeline {
  readonly task = 'fill-mask';

  static async create(model: string, opts: PipelineOptions = {}): Promise<FillMaskPipeline & FillMaskPipeline['run']> {
    const { source, tokenizer, session } = await EncoderPipeline.load(model, 'fill-mask', opts);
    try {
      if (tokenizer.maskTokenId === null) throw new LenguaError('the tokenizer has no mask token: fill-mask needs one', { file: source.dir, field: 'mask_token' });
      return callable(new FillMaskPipeline(source, tokenizer, session, 'logits', opts));
    } catch (err) {
      await session.dispose();
      throw err;
    }
  }

  /** The target words' token ids (first token of a word that splits, with a note), as transformers picks them. */
  private targetIds(targets: string | string[]): number[] {
    const list = typeof targets === 'string' ? [targets] : targets;
    if (!Array.isArray(list) || list.length === 0) throw new LenguaError('targets must be a word or a non-empty array of words', { field: 'targets' });
    const ids = new Set<number>();
    list.forEach((t, i) => {
      if (typeof t !== 'string') throw new LenguaError(`target ${i} is not a string`, { field: `targets[${i}]` });
      const direct = this.tokenizer.tokenToId(t);
      if (direct !== null) {
        ids.add(direct);
        return;
      }
      const enc = this.tokenizer.encode(t, { addSpecialTokens: false });
      if (enc.ids.length === 0) throw new LenguaError(`target ${JSON.stringify(t)} encodes to no token`, { field: `targets[${i}]` });
      ids.add(enc.ids[0]!);
    });
    return [...ids];
  }

  /** A text with one mask gives one list of predictions; a text with several gives one list per mask. */
  run(input: string, opts?: FillMaskOptions): Promise<FillMaskOutput | FillMaskOutput[]>;
  run(input: string[], opts?: FillMaskOptions): Promise<Array<FillMaskOutput | FillMaskOutput[]>>;
  async run(input: string | string[], opts: FillMaskOptions = {}): Promise<FillMaskOutput | FillMaskOutput[] | Array<FillMaskOutput | FillMaskOutput[]>> {
    const { texts, single } = checkTexts(input);
    const targets = opts.targets === undefined ? null : this.targetIds(opts.targets);
    const topK = Math.min(checkInt(opts.topK ?? 5, 'topK', 1, LIMITS.topK), targets?.length ?? Infinity);
    const mask = this.tokenizer.maskTokenId!;
    const enc = this.encode(texts);
    enc.forEach((e, i) => {
      if (!e.ids.includes(mask)) throw new LenguaError(`no mask token ${this.tokenizer.specialTokens.maskToken} in the text (after truncation to ${this.maxLength} tokens)`, { field: `texts[${i}]` });
    });
    const out = new Array<FillMaskOutput | FillMaskOutput[]>(texts.length);
    await this.runBatches(enc, (i, t, r, seq) => {
      const vocab = t.dims[2]!;
      const ids = enc[i]!.ids;
      const positions = ids.flatMap((id, k) => (id === mask ? [k] : []));
      const singleMask = positions.length === 1;
      const perMask = positions.map((pos) => {
        const base = (r * seq + pos) * vocab;
        const probs = softmax(t.data.subarray(base, base + vocab));
        const candidates = targets ?? probs.map((_, k) => k);
        const best = candidates.map((id) => ({ id, p: probs[id]! })).sort((a, b) => b.p - a.p || a.id - b.id).slice(0, topK);
        return best.map(({ id, p }) => {
          const filled = ids.slice();
          filled[pos] = id;
          // transformers keeps the other masks visible when a text has several.
          return { score: p, token: id, token_str: this.tokenizer.decode([id]), sequence: this.tokenizer.decode(filled, { skipSpecialTokens: singleMask }) };
        });
      });
      out[i] = singleMask ? perMask[0]! : perMask;
    });
    return single ? out[0]! : out;
  }
}
