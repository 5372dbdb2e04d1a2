/**
 * The task losses, chosen exactly as transformers' heads choose them. The Trainer computes its loss
 * through the model (`PreTrainedModel.loss`), so this is the one place the choice is made.
 */
import * as torch from '../../torch/index.js';
import { F } from '../../torch/index.js';
import type { Tensor, TensorLike, DType, Device } from '../../torch/index.js';
import { LenguaError } from '../../errors.js';
import type { PretrainedConfig, ProblemType } from '../../hub/config.js';
import { asTensor } from './inputs.js';

/** What the Trainer adds to a head's loss (transformers' `label_smoothing_factor`, class weights). */
export interface LossOptions {
  /** Single-label cross-entropy only: mixes the target with the uniform distribution. */
  labelSmoothing?: number;
  /** Single-label cross-entropy only: one weight per class. */
  classWeight?: Tensor | null;
}

/** Float labels for regression / multi-label, integer class ids otherwise. */
function labelTensor(labels: TensorLike, dtype: DType, device: Device): Tensor {
  return asTensor(labels, dtype, device, 'labels');
}

/**
 * Sequence-classification loss exactly as transformers picks it: `problem_type` when set, else
 * regression for one label, single-label CE for integer labels, multi-label BCE otherwise. Nested
 * JS arrays carry no int/float distinction, so for them "labels shaped like the logits" means
 * multi-label. Like transformers, the chosen problem type is recorded in the config.
 */
export function sequenceClassificationLoss(config: PretrainedConfig, logits: Tensor, labels: TensorLike, opts: LossOptions = {}): Tensor {
  const numLabels = config.numLabels;
  const device = logits.device;
  let problem: ProblemType | null = config.problemType;
  if (problem === null) {
    if (numLabels === 1) problem = 'regression';
    else if (labels instanceof torch.Tensor) {
      problem = labels.dtype === 'int64' || labels.dtype === 'int32' ? 'single_label_classification' : 'multi_label_classification';
    } else {
      const probe = torch.tensor(labels as torch.NestedArray);
      const shapeLikeLogits = probe.ndim === 2 && probe.shape[1] === numLabels;
      probe.dispose();
      problem = shapeLikeLogits ? 'multi_label_classification' : 'single_label_classification';
    }
    config.problemType = problem;
  }
  if (problem === 'regression') {
    const y = labelTensor(labels, 'float32', device);
    if (numLabels === 1) return F.mseLoss(logits.squeeze(), y.squeeze());
    return F.mseLoss(logits, y);
  }
  if (problem === 'single_label_classification') {
    const y = labelTensor(labels, 'int64', device);
    return F.crossEntropy(logits.reshape([-1, numLabels]), y.reshape([-1]), { labelSmoothing: opts.labelSmoothing ?? 0, weight: opts.classWeight ?? null });
  }
  const y = labelTensor(labels, 'float32', device);
  if (y.shape.join(',') !== logits.shape.join(',')) {
    throw new LenguaError(`multi-label targets must have the logits' shape [${logits.shape.join(', ')}], got [${y.shape.join(', ')}]`, { field: 'labels' });
  }
  return F.binaryCrossEntropyWithLogits(logits, y);
}

/** Token classification / masked LM: CE over every position, -100 ignored. */
export function tokenLoss(logits: Tensor, labels: TensorLike, opts: LossOptions = {}): Tensor {
  const n = logits.shape[logits.ndim - 1]!;
  const y = labelTensor(labels, 'int64', logits.device);
  return F.crossEntropy(logits.reshape([-1, n]), y.reshape([-1]), { ignoreIndex: -100, labelSmoothing: opts.labelSmoothing ?? 0, weight: opts.classWeight ?? null });
}

/** Causal LM: predict token t+1 from position t; -100 ignored. */
export function causalLmLoss(logits: Tensor, labels: TensorLike, opts: LossOptions = {}): Tensor {
  const [b, s, v] = logits.shape as [number, number, number];
  const y = labelTensor(labels, 'int64', logits.device);
  if (s < 2) throw new LenguaError('a causal LM loss needs sequences of at least 2 tokens', { field: 'labels' });
  const shiftLogits = logits.narrow(1, 0, s - 1).reshape([b * (s - 1), v]);
  const shiftLabels = y.narrow(1, 1, s - 1).reshape([b * (s - 1)]);
  return F.crossEntropy(shiftLogits, shiftLabels, { ignoreIndex: -100, labelSmoothing: opts.labelSmoothing ?? 0 });
}
