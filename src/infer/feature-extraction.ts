/**
 * `feature-extraction`: the encoder's last hidden state per text — every token's vector (`pooling: 'none'`,
 * padding left out), the mean over the text's tokens (`'mean'`, the attention mask's tokens as
 * sentence-transformers averages them) or the first token's (`'cls'`) — optionally L2-normalized, as
 * Transformers.js' `feature-extraction` options name them.
 */
import { LenguaError } from '../errors.js';
import { callable, checkTexts, EncoderPipeline, type PipelineOptions } from './base.js';

export type Pooling = 'none' | 'mean' | 'cls';

export interface FeatureExtractionOptions {
  /** Default 'none' (one vector per token, as transformers' pipeline returns). */
  pooling?: Pooling;
  /** Divide each vector by its L2 norm. Default false. */
  normalize?: boolean;
}

function l2normalize(v: number[]): number[] {
  let s = 0;
  for (const x of v) s += x * x;
  const n = Math.sqrt(s);
  // A zero vector stays zero (sentence-transformers clamps the norm the same way).
  return n > 1e-12 ? v.map((x) => x / n) : v;
}

export class FeatureExtractionPipeline extends EncoderPipeline {
  readonly task = 'feature-extraction';

  static async create(model: string, opts: PipelineOptions = {}): Promise<FeatureExtractionPipeline & FeatureExtractionPipeline['run']> {
    const { source, tokenizer, session } = await EncoderPipeline.load(model, 'feature-extraction', opts);
    try {
      return callable(new FeatureExtractionPipeline(source, tokenizer, session, 'last_hidden_state', opts));
    } catch (err) {
      await session.dispose();
      throw err;
    }
  }

  /** pooling 'none': number[tokens][hidden] per text; 'mean' / 'cls': number[hidden] per text. */
  run(input: string, opts?: FeatureExtractionOptions & { pooling?: 'none' }): Promise<number[][]>;
  run(input: string[], opts?: FeatureExtractionOptions & { pooling?: 'none' }): Promise<number[][][]>;
  run(input: string, opts: FeatureExtractionOptions & { pooling: 'mean' | 'cls' }): Promise<number[]>;
  run(input: string[], opts: FeatureExtractionOptions & { pooling: 'mean' | 'cls' }): Promise<number[][]>;
  run(input: string | string[], opts?: FeatureExtractionOptions): Promise<number[] | number[][] | number[][][]>;
  async run(input: string | string[], opts: FeatureExtractionOptions = {}): Promise<number[] | number[][] | number[][][]> {
    const { texts, single } = checkTexts(input);
    const pooling = opts.pooling ?? 'none';
    if (!['none', 'mean', 'cls'].includes(pooling)) throw new LenguaError(`pooling must be none, mean or cls, got ${JSON.stringify(pooling)}`, { field: 'pooling' });
    const normalize = opts.normalize === true;
    const enc = this.encode(texts);
    const out: Array<number[] | number[][]> = new Array<number[] | number[][]>(texts.length);
    await this.runBatches(enc, (i, t, r, seq) => {
      const hidden = t.dims[2]!;
      const mask = enc[i]!.attentionMask;
      const vec = (tok: number): number[] => Array.from(t.data.subarray((r * seq + tok) * hidden, (r * seq + tok + 1) * hidden));
      if (pooling === 'cls') {
        out[i] = normalize ? l2normalize(vec(0)) : vec(0);
      } else if (pooling === 'mean') {
        // Summed in float64: the mean of up to thousands of float32 vectors loses no digits the model has.
        const sum = new Float64Array(hidden);
        let count = 0;
        for (let tok = 0; tok < mask.length; tok++) {
          if (mask[tok] !== 1) continue;
          const base = (r * seq + tok) * hidden;
          for (let h = 0; h < hidden; h++) sum[h]! += t.data[base + h]!;
          count++;
        }
        const mean = Array.from(sum, (x) => x / Math.max(count, 1));
        out[i] = normalize ? l2normalize(mean) : mean;
      } else {
        const rows: number[][] = [];
        for (let tok = 0; tok < mask.length; tok++) rows.push(normalize ? l2normalize(vec(tok)) : vec(tok));
        out[i] = rows;
      }
    });
    return (single ? out[0]! : out) as number[] | number[][] | number[][][];
  }
}
