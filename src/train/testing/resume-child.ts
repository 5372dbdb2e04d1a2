/**
 * Child process of the SIGKILL/resume test: trains the tiny golden BERT with checkpoints every 4
 * steps and saves the final model to <out>/final. `--resume` continues from the latest checkpoint;
 * `--hang-after-step N` says "hanging at step N" on stderr after step N and blocks until killed, so the
 * parent kills it mid-run at a known point whatever the machine's load (a timed delay raced a busy CPU).
 */
import { join } from 'node:path';
import * as torch from '../../torch/index.js';
import { Trainer, trainingArguments } from '../index.js';
import { tinySetup } from './task.js';

const argv = process.argv.slice(2);
const out = argv[0];
if (out === undefined) throw new Error('usage: resume-child.ts OUT [--resume] [--hang-after-step N]');
const resume = argv.includes('--resume');
const hi = argv.indexOf('--hang-after-step');
const hangAt = hi >= 0 ? Number(argv[hi + 1]) : -1;
torch.setNumThreads(1);

const s = await tinySetup(96, 16);
const args = trainingArguments({
  outputDir: out, learningRate: 1e-3, maxSteps: 24, perDeviceTrainBatchSize: 8, gradientAccumulationSteps: 2, warmupRatio: 0.1,
  weightDecay: 0.01, saveStrategy: 'steps', saveSteps: 4, evalStrategy: 'steps', evalSteps: 4, earlyStoppingPatience: 50, loggingSteps: 2, quiet: true,
});
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const trainer = new Trainer({
  model: s.model, args, trainDataset: s.train, evalDataset: s.eval, tokenizer: s.tokenizer,
  callbacks: [{
    onStepEnd: (state) => {
      if (state.globalStep !== hangAt) return;
      process.stderr.write(`hanging at step ${hangAt}\n`, () => Atomics.wait(sleeper, 0, 0));
    },
  }],
});
await trainer.train(resume ? { resumeFromCheckpoint: true } : {});
await trainer.saveModel(join(out, 'final'));
