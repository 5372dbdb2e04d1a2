import { Command } from 'commander';
import { join } from 'node:path';
import { LenguaError } from '../errors.js';
import { ensureWritableDir } from '../util/fs.js';
import { loadSearchSpace } from '../train/search-space.js';
import { formatSearchTable, runSearch } from '../train/search.js';
import { addSelectionFlags, addTrainingArgumentFlags, isBaseline, loadTrainEval, parseInt, runnerAndConfig, type SelectionFlags } from './cv.js';

interface SearchFlags extends SelectionFlags {
  eval: string;
  space: string;
  out: string;
  method: string;
  trials?: string;
  pruner: string;
  eta: string;
  minResource: string;
  pruneWarmup: string;
  retrain: boolean;
}

/** Budget steps the baseline uses when a pruner is on and the config does not say (it fits on 1/4, 2/4, 3/4, all of the data). */
const BASELINE_PRUNING_STEPS = 4;

export async function runSearchCommand(flags: SearchFlags, out: (s: string) => void, err: (s: string) => void): Promise<void> {
  ensureWritableDir(flags.out, '--out');
  const { runner, config } = runnerAndConfig(flags);
  const space = loadSearchSpace(flags.space, { knownKeys: runner.knownKeys, ...(runner.integerKeys ? { integerKeys: runner.integerKeys } : {}), ...(runner.checkValue ? { checkValue: (k: string, v: unknown) => runner.checkValue!(k, v) } : {}) });
  const { train, validation } = loadTrainEval(flags.train, flags.eval);
  if (validation === undefined) throw new LenguaError('search selects on a validation file: give --eval FILE', { field: 'eval' });
  if (!['none', 'median', 'halving'].includes(flags.pruner)) throw new LenguaError(`--pruner must be none, median or halving, got ${flags.pruner}`, { field: 'pruner' });
  if (flags.pruner !== 'none' && isBaseline(flags.model) && config.budgetSteps === undefined && !space.some((d) => d.name === 'budgetSteps')) {
    config.budgetSteps = BASELINE_PRUNING_STEPS;
  }
  if (flags.pruner !== 'none' && !isBaseline(flags.model) && config.evalStrategy === 'no' && !flags.json) {
    err('note: --eval-strategy no gives the pruner nothing to judge before a trial ends; nothing will be pruned');
  }
  const minResource = Number(flags.minResource);
  const warmupSteps = Number(flags.pruneWarmup);
  if (!(minResource > 0)) throw new LenguaError(`--min-resource must be > 0, got ${flags.minResource}`, { field: 'min-resource' });
  if (!(warmupSteps >= 0)) throw new LenguaError(`--prune-warmup must be >= 0, got ${flags.pruneWarmup}`, { field: 'prune-warmup' });
  const method = flags.method;
  if (method !== 'grid' && method !== 'random') throw new LenguaError(`--method must be grid or random, got ${method}`, { field: 'method' });
  const result = await runSearch({
    space,
    spaceFile: flags.space,
    method,
    ...(flags.trials !== undefined ? { trials: parseInt(flags.trials, 'trials') } : {}),
    seed: parseInt(flags.seed, 'seed'),
    pruner: flags.pruner as 'none' | 'median' | 'halving',
    prunerOptions: { eta: parseInt(flags.eta, 'eta'), minResource, warmupSteps },
    ...(flags.metric !== undefined ? { metric: flags.metric } : {}),
    runner,
    data: { train, validation, labels: train.labels },
    baseConfig: config,
    outDir: flags.out,
    retrainBest: flags.retrain,
    log: flags.json ? undefined : err,
  });
  if (flags.json) out(JSON.stringify(result, null, 2));
  else out(`${formatSearchTable(result)}\nwritten: ${join(flags.out, 'search-results.json')}, ${join(flags.out, 'search-results.csv')}`);
}

export function register(program: Command): void {
  const cmd = program
    .command('search')
    .description('hyperparameter search (grid or random, with pruning) on train, selecting on --eval; retrains and saves the best; never reads a test split');
  addSelectionFlags(cmd)
    .requiredOption('--eval <file>', 'validation data the trials are scored on')
    .requiredOption('--space <file>', 'search space (JSON or YAML): {"learningRate": {"loguniform": [1e-5, 1e-3]}, "strategy": {"values": ["head", "full"]}, ...}')
    .requiredOption('--out <dir>', 'search-results.json, search-results.csv and best/ go here')
    .option('--method <grid|random>', 'grid: every combination of values; random: --trials seeded draws', 'grid')
    .option('--trials <n>', 'number of random trials (grid: at most this many)')
    .option('--pruner <none|halving|median>', 'stop bad trials early: successive halving or median stopping', 'none')
    .option('--eta <n>', 'successive halving: keep the best 1/eta at each rung', '3')
    .option('--min-resource <n>', 'successive halving: budget of the first rung (epochs; baseline: data quarters)', '1')
    .option('--prune-warmup <n>', 'median stopping: never prune before this step (epochs; baseline: data quarters)', '0')
    .option('--no-retrain', 'do not retrain the best configuration into OUT/best');
  addTrainingArgumentFlags(cmd);
  cmd.action(async (flags: SearchFlags) => {
    await runSearchCommand(flags, (s) => process.stdout.write(`${s}\n`), (s) => process.stderr.write(`${s}\n`));
  });
}
