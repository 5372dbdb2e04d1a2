import { Command, CommanderError } from 'commander';
import { LenguaError } from '../errors.js';
import { describeSystemError, isSystemError } from '../util/fs.js';
import { register as registerDemo } from './demo.js';
import { register as registerData } from './data.js';
import { register as registerTokenize } from './tokenize.js';
import { register as registerTokenizer } from './tokenizer.js';
import { register as registerMetrics } from './metrics.js';
import { register as registerHub } from './hub.js';
import { register as registerPredict } from './predict.js';
import { register as registerGenerate } from './generate.js';
import { register as registerNormalize } from './normalize.js';
import { register as registerEvaluate } from './evaluate.js';
import { register as registerCv } from './cv.js';
import { register as registerSearch } from './search.js';
import { register as registerTrain } from './train.js';
import { register as registerPretrain } from './pretrain.js';
import { register as registerExport } from './export.js';
import { register as registerRegistry } from './registry.js';
import { register as registerMonitor } from './monitor.js';
import { register as registerServe } from './serve.js';
import { register as registerKeys } from './keys.js';
import { register as registerAssist } from './assist.js';

const LENGUA_VERSION = '0.1.0';

/** The `lengua` command. Each stage contributes its subcommands through a `register` function. */
export function buildProgram(): Command {
  const program = new Command('lengua')
    .description('The Hugging Face NLP workflow for TypeScript: preprocess, tokenize, train, evaluate, serve.')
    // `-V` only: a root `--version` would take the flag from every subcommand (`registry push --version 1.2.3`
    // printed lengua's version); `lengua --version` alone is answered in main().
    .version(LENGUA_VERSION, '-V')
    .option('--debug', 'print the stack trace of an error (also LENGUA_DEBUG=1)')
    .showHelpAfterError();
  for (const register of registrations) register(program);
  return program;
}

// One per line, so that each stage's line is its own change.
const registrations: Array<(program: Command) => void> = [
  registerDemo,
  registerData,
  registerTokenize,
  registerTokenizer,
  registerMetrics,
  registerHub,
  registerPredict,
  registerGenerate,
  registerNormalize,
  registerTrain,
  registerPretrain,
  registerEvaluate,
  registerCv,
  registerSearch,
  registerExport,
  registerRegistry,
  registerServe,
  registerKeys,
  registerMonitor,
  registerAssist,
];

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  program.exitOverride();
  const debug = argv.includes('--debug') || process.env.LENGUA_DEBUG === '1';
  if (argv.length === 1 && argv[0] === '--version') {
    process.stdout.write(`${LENGUA_VERSION}\n`);
    return 0;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    process.stderr.write(`lengua: ${describeError(err)}\n`);
    if (debug && err instanceof Error && err.stack !== undefined) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}

/**
 * One line for any error: a LenguaError's message (it names file, line and field); a system error as
 * `PATH: what happened, what to do`; anything else is a bug, said so, with the stack trace behind --debug.
 */
export function describeError(err: unknown): string {
  if (err instanceof LenguaError) return err.message;
  if (isSystemError(err)) return describeSystemError(err);
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return `unexpected error (a bug in lengua; please report it): ${message}. Run again with --debug for the stack trace.`;
}
