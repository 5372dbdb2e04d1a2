/**
 * The forward pass `lengua predict` and evaluation's transformer classifier share: one padded batch
 * through a sequence classifier, its logits turned into scores. This module loads libtorch, so code
 * that must also run without it (the baseline path) imports it on demand.
 */
import * as torch from '../torch/index.js';
import type { AnySequenceClassifier } from '../models/index.js';
import type { Encoding } from '../text/tokenizer/index.js';

/** softmax: one distribution per text; sigmoid: independent multi-label scores; none: raw logits (regression). */
export type ScoreActivation = 'softmax' | 'sigmoid' | 'none';

/** One row of scores per encoding (a padded batch), columns in label-id order; no gradients kept. */
export function batchScores(model: AnySequenceClassifier, enc: readonly Encoding[], activation: ScoreActivation): number[][] {
  return torch.noGrad(() =>
    torch.tidy(() => {
      const { logits } = model.forward({
        inputIds: enc.map((e) => e.ids),
        attentionMask: enc.map((e) => e.attentionMask),
        tokenTypeIds: model.acceptsTokenTypeIds ? enc.map((e) => e.tokenTypeIds) : null,
      });
      const p = activation === 'none' ? logits : activation === 'sigmoid' ? logits.sigmoid() : logits.softmax(-1);
      return p.toArray() as number[][];
    }),
  );
}
