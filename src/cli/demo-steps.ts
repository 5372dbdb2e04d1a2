// The pieces both halves of `lengua demo` use (demo.ts: data and baseline; demo-model.ts: the transformer).
import type { EvaluationResult } from '../eval/evaluate.js';

export const STRATEGIES = ['head', 'freeze', 'full'] as const;
export type DemoStrategy = (typeof STRATEGIES)[number];

/** Numbered steps with the seconds each took, so that a long flow shows where it is and where time goes. */
export class DemoSteps {
  readonly times: Array<{ step: number; title: string; seconds: number }> = [];
  private readonly t0 = performance.now();

  constructor(private readonly print: (line: string) => void) {}

  async run<T>(title: string, fn: () => T | Promise<T>): Promise<T> {
    const step = this.times.length + 1;
    this.print(`${step === 1 ? '' : '\n'}# ${step}. ${title}`);
    const t = performance.now();
    const result = await fn();
    const seconds = (performance.now() - t) / 1000;
    this.times.push({ step, title, seconds });
    this.print(`  [step ${step}: ${seconds.toFixed(1)} s; ${this.elapsed().toFixed(1)} s since the start]`);
    return result;
  }

  elapsed(): number {
    return (performance.now() - this.t0) / 1000;
  }
}

/** One line of a classification evaluation. */
export function evaluationLine(r: Pick<EvaluationResult, 'split' | 'n' | 'metrics'>): string {
  const m = r.metrics as Record<string, number | null>;
  const f = (k: string): string => (typeof m[k] === 'number' ? m[k].toFixed(4) : 'n/a');
  return `  [${r.split}, n=${r.n}] accuracy ${f('accuracy')}  macro recall ${f('macro_recall')}  macro F1 ${f('macro_f1')}  log loss ${f('log_loss')}`;
}
