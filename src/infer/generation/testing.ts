// Test helper: Lengua's libtorch GPT-2 as a CausalLm for the engine-independent search (full recompute each
// step, no cache), so the search is checked against libtorch and ONNX Runtime alike. Test-only (imports torch).
import * as torch from '../../torch/index.js';
import type { GPT2LMHeadModel } from '../../models/index.js';
import type { CausalLm, DecoderSession, DecoderStep } from './search.js';

export class TorchCausalLm implements CausalLm {
  readonly vocabSize: number;
  readonly maxPositions: number;
  constructor(private readonly model: GPT2LMHeadModel) {
    this.vocabSize = model.config.vocabSize;
    this.maxPositions = model.config.maxPositionEmbeddings;
  }
  start(): DecoderSession {
    const model = this.model;
    return {
      step(input: DecoderStep): Promise<Float32Array> {
        const rows = torch.noGrad(() =>
          torch.tidy(() => {
            const { logits } = model.forward({
              inputIds: input.ids.map((r) => [...r]),
              attentionMask: input.attentionMask.map((r) => [...r]),
              positionIds: input.positionIds.map((r) => [...r]),
            });
            const len = input.ids[0]!.length;
            return (logits.select(1, len - 1).toArray() as number[][]);
          }),
        );
        return Promise.resolve(Float32Array.from(rows.flat()));
      },
      reorder(): void {},
      close(): void {},
    };
  }
}
