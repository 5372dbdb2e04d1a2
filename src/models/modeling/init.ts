/** transformers' `_init_weights`, for new heads and models built from a config. */
import * as torch from '../../torch/index.js';
import { nn } from '../../torch/index.js';
import { Conv1D } from './layers.js';

/** Options of `initWeights`, taken from the config. */
export interface InitOptions {
  std: number;
  /** GPT-2: `c_proj.weight` gets std / sqrt(2 * n_layer) (transformers' scaled residual init). */
  scaledResidual?: { nLayer: number };
}

/**
 * Linear / Conv1D / Embedding weights ~ N(0, initializer_range), biases 0, LayerNorm 1 / 0, the padding
 * row of an embedding 0. Draws from torch's generator (`torch.manualSeed`). `only` restricts the init
 * to the named parameters (newly created head weights).
 */
export function initWeights(root: nn.Module, opts: InitOptions, only?: ReadonlySet<string>): void {
  const want = (n: string) => only === undefined || only.has(n);
  torch.noGrad(() => {
    for (const [prefix, m] of root.namedModules()) {
      const p = prefix === '' ? '' : prefix + '.';
      if (m instanceof nn.Linear || m instanceof Conv1D) {
        const scaled = opts.scaledResidual !== undefined && m instanceof Conv1D && /(^|\.)c_proj$/.test(prefix);
        const std = scaled ? opts.std / Math.sqrt(2 * opts.scaledResidual!.nLayer) : opts.std;
        if (want(p + 'weight')) nn.init.normal_(m.weight, 0, std);
        if (m.bias !== null && want(p + 'bias')) nn.init.zeros_(m.bias);
      } else if (m instanceof nn.Embedding) {
        if (want(p + 'weight')) {
          nn.init.normal_(m.weight, 0, opts.std);
          if (m.paddingIdx !== undefined) {
            const row = m.weight.select(0, m.paddingIdx);
            row.zero_();
            row.dispose();
          }
        }
      } else if (m instanceof nn.LayerNorm) {
        if (m.weight !== null && want(p + 'weight')) nn.init.ones_(m.weight);
        if (m.bias !== null && want(p + 'bias')) nn.init.zeros_(m.bias);
      }
    }
  });
}
