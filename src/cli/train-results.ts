/**
 * The end of every `lengua train --task …` run, as transformers' example scripts end theirs: train, save the model,
 * write train_results.json, evaluate once on --eval (eval_results.json and the predictions, one JSON line per
 * example), all_results.json and trainer_state.json, then print the headline metrics or the JSON summary.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../util/fs.js';
import type { TrainOutput } from '../train/index.js';

export interface RunToFinish {
  trainer: { train(): Promise<TrainOutput>; saveModel(dir?: string): Promise<void>; saveState(): void };
  outputDir: string;
  /** The final evaluation: its `eval_*` metrics and one predictions line (a JSON object) per example. */
  evaluate?: () => Promise<{ metrics: Record<string, number>; predictions: unknown[] }>;
  json: boolean;
  /** Extra keys of the --json summary (token classification: its labels). */
  summary?: Record<string, unknown>;
  /** The metrics printed without --json. */
  shown: RegExp;
}

export async function trainAndReport(run: RunToFinish, print: (s: string) => void): Promise<void> {
  const { trainer, outputDir: out } = run;
  const result = await trainer.train();
  const metrics: Record<string, number> = { ...result.metrics };
  await trainer.saveModel(out);
  writeFileAtomic(join(out, 'train_results.json'), JSON.stringify(result.metrics, null, 2) + '\n');
  if (run.evaluate) {
    const e = await run.evaluate();
    Object.assign(metrics, e.metrics);
    writeFileAtomic(join(out, 'eval_results.json'), JSON.stringify(e.metrics, null, 2) + '\n');
    writeFileAtomic(join(out, 'eval_predictions.jsonl'), e.predictions.map((p) => JSON.stringify(p)).join('\n') + '\n');
  }
  writeFileAtomic(join(out, 'all_results.json'), JSON.stringify(metrics, null, 2) + '\n');
  trainer.saveState();
  if (run.json) {
    print(JSON.stringify({ outputDir: out, globalStep: result.globalStep, ...run.summary, metrics }, null, 2));
    return;
  }
  print(`Saved the model to ${out} (step ${result.globalStep})`);
  for (const [k, v] of Object.entries(metrics).filter(([k]) => run.shown.test(k))) print(`  ${k.padEnd(18)} ${Number.isInteger(v) ? v : v.toFixed(4)}`);
  if (run.evaluate) print(`  predictions        ${join(out, 'eval_predictions.jsonl')}`);
}
