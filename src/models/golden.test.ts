// The golden references (../shared/golden/models): every forward tensor within 1e-4, every parameter
// gradient within 1e-6 + 1e-3 * max|golden| (each manifest's recommendation), and the same set of
// gradient names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { modelFromPretrained } from './auto.js';
import type { Task } from './auto.js';
import { logger } from './logging.js';
import { BertForSequenceClassification } from './bert/index.js';
import { robertaPositionIds, RobertaForSequenceClassification } from './roberta/index.js';
import { DistilBertForSequenceClassification } from './distilbert/index.js';
import type { ModelOutput } from './modeling/outputs.js';
import type { QuestionAnsweringInput, QuestionAnsweringOutput } from './bert/index.js';
import type { PreTrainedModel } from './pretrained.js';
import { goldenRoot, maxAbs, maxAbsDiff, readTensors } from './testing.js';

const root = goldenRoot();
const FWD_TOL = 1e-4;

interface Golden {
  name: string;
  fixture: string;
  task: Task;
}
const GOLDENS: Golden[] = [
  { name: 'bert-tiny-seqcls', fixture: 'bert-tiny-seqcls', task: 'sequence-classification' },
  { name: 'bert-synth-seqcls', fixture: 'bert-synth-seqcls', task: 'sequence-classification' },
  { name: 'distilbert-synth-seqcls', fixture: 'distilbert-synth-seqcls', task: 'sequence-classification' },
  { name: 'roberta-synth-seqcls', fixture: 'roberta-synth-seqcls', task: 'sequence-classification' },
  { name: 'bert-synth-qa', fixture: 'bert-synth-qa', task: 'question-answering' },
  { name: 'gpt2-tiny-lm', fixture: 'gpt2-tiny', task: 'causal-lm' },
  { name: 'gpt2-synth-lm', fixture: 'gpt2-synth-lm', task: 'causal-lm' },
  { name: 'gpt2-fake-lmbuddy-lm', fixture: 'gpt2-fake-lmbuddy', task: 'causal-lm' },
];

function inputsOf(g: Map<string, Tensor>, prefix: string, withPositions: boolean): QuestionAnsweringInput {
  const input: QuestionAnsweringInput = {
    inputIds: g.get(`${prefix}inputs.input_ids`)!,
    attentionMask: g.get(`${prefix}inputs.attention_mask`)!,
    labels: g.get('inputs.labels') ?? null,
    outputHiddenStates: true,
    outputAttentions: true,
  };
  // Question answering: the answer spans instead of labels.
  const start = g.get('inputs.start_positions');
  const end = g.get('inputs.end_positions');
  if (start !== undefined && end !== undefined) Object.assign(input, { startPositions: start, endPositions: end });
  const tt = g.get(`${prefix}inputs.token_type_ids`) ?? (prefix === '' ? undefined : g.get('inputs.token_type_ids'));
  if (tt !== undefined) input.tokenTypeIds = tt;
  const pos = g.get(`${prefix}inputs.position_ids`);
  if (withPositions && pos !== undefined) input.positionIds = pos;
  return input;
}

/** The golden's head intermediate, recomputed from our model's last hidden state. */
function intermediate(model: PreTrainedModel, name: string, last: Tensor): Tensor {
  if (name === 'pooler_output' && model instanceof BertForSequenceClassification) return model.body.pooler!.forward(last);
  if (name === 'pre_classifier_relu' && model instanceof DistilBertForSequenceClassification) return model.pooled(last);
  if (name === 'classifier_dense_tanh' && model instanceof RobertaForSequenceClassification) return model.classifier.features(last);
  throw new Error(`no intermediate ${name} for ${model.className}`);
}

/** The head's outputs a golden holds: start and end logits for question answering, logits otherwise. */
function headNames(task: Task): string[] {
  return task === 'question-answering' ? ['start_logits', 'end_logits'] : ['logits'];
}

function outputTensor(model: PreTrainedModel, out: ModelOutput, name: string): Tensor {
  if (name === 'logits') return out.logits;
  if (name === 'start_logits') return (out as QuestionAnsweringOutput).startLogits;
  if (name === 'end_logits') return (out as QuestionAnsweringOutput).endLogits;
  if (name === 'loss') return out.loss!.reshape([1]);
  const hs = out.hiddenStates!;
  if (name === 'last_hidden_state') return hs[hs.length - 1]!;
  let m = /^hidden_states\.(\d+)$/.exec(name);
  if (m) return hs[Number(m[1])]!;
  m = /^attentions\.(\d+)$/.exec(name);
  if (m) return out.attentions![Number(m[1])]!;
  return intermediate(model, name, hs[hs.length - 1]!);
}

for (const spec of GOLDENS) {
  test(`golden ${spec.name}: forward within 1e-4, gradients within 1e-6 + 1e-3 max|g|`, { skip: root === null ? 'no ../shared/golden' : false }, async (t) => {
    const dir = join(root!, 'models', spec.name);
    const golden = readTensors(join(dir, 'golden.safetensors'));
    const grads = readTensors(join(dir, 'grads.safetensors'));
    const { result: model, messages } = await logger.captureAsync(() => modelFromPretrained(spec.task, join(root!, 'fixtures', spec.fixture)));
    // Every fixture holds exactly the weights its class needs (GPT-2 tiny without the transformer.
    // prefix, tied heads absent): nothing may be reported as new or unused.
    assert.deepEqual(messages, []);
    assert.equal(model.training, false, 'fromPretrained returns eval mode');

    const out = model.forward(inputsOf(golden, '', true)) as ModelOutput;
    let worstFwd = 0;
    let worstName = '';
    const compared: string[] = [];
    for (const [name, want] of golden) {
      if (name.startsWith('inputs.') || name.startsWith('leftpad.')) continue;
      const got = outputTensor(model, out, name);
      assert.deepEqual(got.shape, want.shape, `${name} shape`);
      const d = maxAbsDiff(got, want);
      assert.ok(d <= FWD_TOL, `${spec.name} ${name}: max diff ${d}`);
      if (d > worstFwd) [worstFwd, worstName] = [d, name];
      compared.push(name);
    }
    for (const name of [...headNames(spec.task), 'loss', 'last_hidden_state']) assert.ok(compared.includes(name), `${spec.name} holds ${name}`);

    out.loss!.backward();
    const params = model.namedParameters();
    const ourNames = params.map(([n]) => n).sort();
    assert.deepEqual(ourNames, [...grads.keys()].sort(), 'parameter names = golden gradient names');
    let worstRatio = 0;
    let worstGrad = '';
    for (const [name, p] of params) {
      const g = p.grad;
      assert.ok(g !== null, `${name} has a gradient`);
      const want = grads.get(name)!;
      const tol = 1e-6 + 1e-3 * maxAbs(want);
      const d = maxAbsDiff(g, want);
      assert.ok(d <= tol, `${spec.name} grad ${name}: max diff ${d} > ${tol}`);
      if (d / tol > worstRatio) [worstRatio, worstGrad] = [d / tol, name];
      g.dispose();
    }
    // Padding rows of padding_idx embeddings get exactly zero gradient.
    const zeroRows: Array<[string, number]> = [];
    const pad = model.config.padTokenId;
    if (model.config.modelType !== 'gpt2' && pad !== null) {
      const prefix = model.baseModelPrefix;
      zeroRows.push([`${prefix}.embeddings.word_embeddings.weight`, pad]);
      if (model.config.modelType === 'roberta') zeroRows.push([`${prefix}.embeddings.position_embeddings.weight`, pad]);
    }
    for (const [name, row] of zeroRows) {
      const p = params.find(([n]) => n === name)![1];
      const g = p.grad!;
      assert.equal(maxAbs(g.select(0, row)), 0, `${name} row ${row} gradient is exactly zero`);
      g.dispose();
    }

    // Default positions (none passed) give the same logits: arange for BERT / DistilBERT / GPT-2,
    // cumsum(ids != pad) * (ids != pad) + pad for RoBERTa.
    torch.noGrad(() => {
      const again = model.forward({ inputIds: golden.get('inputs.input_ids')!, attentionMask: golden.get('inputs.attention_mask')!, tokenTypeIds: golden.get('inputs.token_type_ids') ?? null }) as ModelOutput;
      for (const name of headNames(spec.task)) assert.ok(maxAbsDiff(outputTensor(model, again, name), golden.get(name)!) <= FWD_TOL, `default position ids: ${name}`);
      assert.equal(again.loss, undefined, 'no loss without labels or positions');
    });
    if (model.config.modelType === 'roberta') {
      const pad = model.config.padTokenId!;
      for (const p of ['', 'leftpad.']) {
        const computed = robertaPositionIds(golden.get(`${p}inputs.input_ids`)!, pad);
        assert.deepEqual(computed.toArray(), golden.get(`${p}inputs.position_ids`)!.toArray(), `${p}position ids`);
      }
      // Left padding: positions computed from the ids (not passed) must reproduce the golden.
      torch.noGrad(() => {
        const lp = model.forward({ ...inputsOf(golden, 'leftpad.', false), outputHiddenStates: true }) as ModelOutput;
        for (const name of ['logits', 'loss', 'last_hidden_state']) {
          const d = maxAbsDiff(outputTensor(model, lp, name), golden.get(`leftpad.${name}`)!);
          assert.ok(d <= FWD_TOL, `leftpad.${name}: ${d}`);
          if (d > worstFwd) [worstFwd, worstName] = [d, `leftpad.${name}`];
        }
      });
    }
    t.diagnostic(`${spec.name}: max forward diff ${worstFwd.toExponential(2)} (${worstName}); worst gradient diff/tol ${worstRatio.toFixed(4)} (${worstGrad})`);
    for (const tt of [...golden.values(), ...grads.values()]) tt.dispose();
  });
}
