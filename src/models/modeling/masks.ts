/** Attention masks as transformers builds them: additive, finfo(float32).min where attention is not allowed. */
import * as torch from '../../torch/index.js';
import type { Tensor, Device } from '../../torch/index.js';

/** torch.finfo(torch.float32).min: the additive mask value transformers uses. */
export const FLOAT32_MIN = -3.4028234663852886e38;

/**
 * The [batch, 1, 1, k] additive mask transformers builds from a 0/1 attention mask:
 * (1 - mask) * finfo.min, broadcast over heads and queries.
 */
export function extendedAttentionMask(mask: Tensor): Tensor {
  return mask.to('float32').neg().add(1).mul(FLOAT32_MIN).unsqueeze(1).unsqueeze(1);
}

/** GPT-2: causal lower triangle combined with the padding mask, additive, [batch or 1, 1, q, k]. */
export function causalAttentionMask(seqLen: number, device: Device, mask: Tensor | null): Tensor {
  const pos = torch.arange(0, seqLen, 1, { dtype: 'int64', device });
  let allowed = pos.unsqueeze(0).le(pos.unsqueeze(1)).unsqueeze(0).unsqueeze(0); // [1,1,q,k]: k <= q
  if (mask !== null) allowed = allowed.logicalAnd(mask.ne(0).unsqueeze(1).unsqueeze(1));
  return allowed.logicalNot().to('float32').mul(FLOAT32_MIN);
}
