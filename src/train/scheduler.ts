/**
 * Learning-rate schedules with transformers' formulas (`get_scheduler`): the multiplier applied to
 * each parameter group's base learning rate before optimizer step `step` (0-based), as LambdaLR
 * does after `step` calls of scheduler.step().
 */
import type { SchedulerType } from './arguments.js';

export interface ScheduleSpec {
  type: SchedulerType;
  warmupSteps: number;
  totalSteps: number;
}

export function lrLambda(spec: ScheduleSpec, step: number): number {
  const { warmupSteps: w, totalSteps: t } = spec;
  if (spec.type === 'constant') return 1;
  if (step < w) return step / Math.max(1, w);
  switch (spec.type) {
    case 'constant_with_warmup':
      return 1;
    case 'linear':
      return Math.max(0, (t - step) / Math.max(1, t - w));
    case 'cosine': {
      const progress = (step - w) / Math.max(1, t - w);
      // numCycles 0.5: half a cosine from 1 down to 0.
      return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * 2 * 0.5 * progress)));
    }
  }
}

/** transformers' get_warmup_steps: warmupSteps when > 0, else ceil(warmupRatio x total). */
export function warmupStepsFor(warmupSteps: number, warmupRatio: number, totalSteps: number): number {
  return warmupSteps > 0 ? warmupSteps : Math.ceil(warmupRatio * totalSteps);
}
