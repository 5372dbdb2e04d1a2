// Test helper: Lengua's libtorch GPT-2 as a CausalLm for the engine-independent search (full recompute each
// step, no cache) — the CLI's torch engine — so the search is checked on libtorch and ONNX Runtime alike.
import type { GPT2LMHeadModel } from '../../models/index.js';
import { torchCausalLm } from '../../cli/generate.js';
import type { CausalLm } from './search.js';

export function TorchCausalLm(model: GPT2LMHeadModel): CausalLm {
  return torchCausalLm(model);
}
