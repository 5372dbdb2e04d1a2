/**
 * Test helpers of BART and Marian: the independent float64 reference (scripts/seq2seq-references.py, Debian's
 * python3-torch) run on a folder the model saved, and the comparison of forward and gradients with it.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import * as torch from '../../torch/index.js';
import { nn } from '../../torch/index.js';
import type { Tensor } from '../../torch/index.js';
import { REPO_ROOT, maxAbs, maxAbsDiff, readTensors } from '../testing.js';
import type { BartLikeConfig } from './configuration.js';
import type { BartLikeForConditionalGeneration } from './modeling.js';

const PY = '/usr/bin/python3';
const probe = spawnSync(PY, ['-c', 'import torch, numpy; print(torch.__version__)'], { encoding: 'utf8' });

/** The skip reason when Debian's python3-torch is missing, else false. */
export const skipReference: string | false = probe.status === 0 ? false
  : 'Debian python3-torch is not installed (apt-get install python3-torch, or LENGUA_SETUP_TEST_TOOLS=1 bash scripts/setup.sh as .ci/run does)';

export interface ReferenceInputs {
  input_ids: number[][];
  attention_mask: number[][];
  labels: number[][];
  decoder_attention_mask?: number[][];
}

/**
 * Moves the weights that initialise to constants (LayerNorm 1/0, biases 0, final_logits_bias 0) off them, so
 * the comparison sees whether each is used where transformers uses it.
 */
export function perturb(model: BartLikeForConditionalGeneration<BartLikeConfig>, seed: number): void {
  torch.manualSeed(seed);
  torch.noGrad(() => {
    for (const [, m] of model.namedModules()) {
      if (m instanceof nn.LayerNorm) {
        m.weight.normal_(1, 0.2);
        m.bias.normal_(0, 0.2);
      } else if (m instanceof nn.Linear && m.bias !== null) {
        m.bias.normal_(0, 0.2);
      }
    }
    model.final_logits_bias.normal_(0, 0.5);
  });
}

/** Runs the reference on a saved folder; its outputs and gradients (`grad.<name>`) by name. */
export function runReference(modelDir: string, inputs: ReferenceInputs, tmp: string): Map<string, Tensor> {
  const inPath = join(tmp, 'inputs.json');
  const outPath = join(tmp, 'reference.safetensors');
  writeFileSync(inPath, JSON.stringify(inputs));
  const r = spawnSync(PY, [join(REPO_ROOT, 'scripts', 'seq2seq-references.py'), modelDir, inPath, outPath], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`seq2seq-references.py failed (${r.status}): ${r.stderr}`);
  return readTensors(outPath);
}

/** Forward (≤ fwdTol) and every gradient (≤ 1e-6 + 1e-3 max|g|) against the reference; returns the worst of each. */
export function compareWithReference(model: BartLikeForConditionalGeneration<BartLikeConfig>, ref: Map<string, Tensor>, inputs: ReferenceInputs, fwdTol = 1e-4): { forward: string; gradient: string } {
  model.eval();
  const out = model.forward({ inputIds: inputs.input_ids, attentionMask: inputs.attention_mask, labels: inputs.labels, ...(inputs.decoder_attention_mask ? { decoderAttentionMask: inputs.decoder_attention_mask } : {}) });
  const ours: Record<string, Tensor> = {
    logits: out.logits, loss: out.loss!.reshape([1]), encoder_last_hidden_state: out.encoderLastHiddenState, last_hidden_state: out.lastHiddenState,
  };
  let worst = 0;
  let worstName = '';
  for (const [name, got] of Object.entries(ours)) {
    const want = ref.get(name)!;
    assert.deepEqual(got.shape, want.shape, `${name} shape`);
    const d = maxAbsDiff(got, want);
    assert.ok(d <= fwdTol, `${name}: max diff ${d}`);
    if (d > worst) [worst, worstName] = [d, name];
  }
  out.loss!.backward();
  const params = model.namedParameters();
  const refGrads = [...ref.keys()].filter((k) => k.startsWith('grad.')).map((k) => k.slice('grad.'.length)).sort();
  assert.deepEqual(params.map(([n]) => n).sort(), refGrads, 'parameter names = the reference\'s gradient names (the saved file\'s names)');
  let worstRatio = 0;
  let worstGrad = '';
  for (const [name, p] of params) {
    const want = ref.get('grad.' + name)!;
    const tol = 1e-6 + 1e-3 * maxAbs(want);
    const d = maxAbsDiff(p.grad!, want);
    assert.ok(d <= tol, `grad ${name}: max diff ${d} > ${tol}`);
    if (d / tol > worstRatio) [worstRatio, worstGrad] = [d / tol, name];
  }
  return { forward: `${worst.toExponential(2)} (${worstName})`, gradient: `${worstRatio.toFixed(4)} of tolerance (${worstGrad})` };
}
