/**
 * Marian (transformers `modeling_marian.py`): BART's encoder-decoder body (its layers are transformers'
 * "Copied from Bart" ones, reused here) with fixed sinusoidal positions that start at 0 (no offset), no
 * LayerNorm on the embeddings, and optionally one token table per stack (`share_encoder_decoder_embeddings:
 * false`). `MarianMTModel` adds the tied LM head and `final_logits_bias`.
 */
import * as torch from '../../torch/index.js';
import { nn } from '../../torch/index.js';
import type { Tensor } from '../../torch/index.js';
import { LenguaError } from '../../errors.js';
import { BartLikeForConditionalGeneration, BartLikeModel, type BodySpec, type PositionTable } from '../bart/modeling.js';
import type { MarianConfig } from './configuration.js';

/**
 * transformers `MarianSinusoidalPositionalEmbedding._init_weight`: for position p and k < dim/2, sin(p / 10000^(2k/dim))
 * in column k (the first half) and cos of the same angle in column ceil(dim/2) + k (the second half); computed in
 * float64, stored in float32, as numpy then torch.FloatTensor do.
 */
export function marianSinusoidalTable(nPos: number, dim: number): Float32Array {
  const out = new Float32Array(nPos * dim);
  const sinCols = Math.ceil(dim / 2);
  for (let p = 0; p < nPos; p++) {
    for (let k = 0; k < sinCols; k++) {
      const angle = p / Math.pow(10000, (2 * k) / dim);
      out[p * dim + k] = Math.sin(angle);
      if (sinCols + k < dim) out[p * dim + sinCols + k] = Math.cos(angle);
    }
  }
  return out;
}

/**
 * The fixed position table, a buffer: never trained (no optimizer sees it), not saved (transformers'
 * `_keys_to_ignore_on_save`), and ignored when a checkpoint carries it (it is recomputed from the config).
 */
export class MarianSinusoidalPositionalEmbedding extends nn.Module implements PositionTable {
  readonly weight: Tensor;
  constructor(private readonly config: MarianConfig) {
    super();
    const n = config.maxPositionEmbeddings;
    this.weight = this.registerBuffer('weight', torch.tensor(marianSinusoidalTable(n, config.dModel), { shape: [n, config.dModel] }));
  }
  /** Recomputes the table in place (initWeights). */
  reset(): void {
    const [n, d] = this.weight.shape as [number, number];
    torch.noGrad(() => {
      const t = torch.tensor(marianSinusoidalTable(n, d), { shape: [n, d] }).to(this.weight.device);
      this.weight.copy_(t);
      t.dispose();
    });
  }
  forward(seqLen: number, pastLen = 0): Tensor {
    const max = this.config.maxPositionEmbeddings;
    if (pastLen + seqLen > max) throw new LenguaError(`sequence length ${pastLen + seqLen} exceeds max_position_embeddings ${max}`, { field: 'input_ids' });
    return this.weight.narrow(0, pastLen, seqLen);
  }
}

export const MARIAN_SPEC: BodySpec<MarianConfig> = {
  positions: (config) => new MarianSinusoidalPositionalEmbedding(config),
  layernormEmbedding: false,
  sharedEmbeddings: (config) => config.shareEncoderDecoderEmbeddings,
  shiftInputIds: false,
};

/** transformers `MarianModel`. */
export class MarianModel extends BartLikeModel<MarianConfig> {
  override readonly className: string = 'MarianModel';
  constructor(config: MarianConfig) {
    super(config, MARIAN_SPEC);
  }
}

/** transformers `MarianMTModel` (Helsinki-NLP/opus-mt-*). */
export class MarianMTModel extends BartLikeForConditionalGeneration<MarianConfig> {
  readonly className: string = 'MarianMTModel';
  constructor(config: MarianConfig) {
    super(config, new MarianModel(config));
  }
}
