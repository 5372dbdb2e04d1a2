import { Command, CommanderError } from 'commander';
import { LenguaError } from '../errors.js';
import { register as registerDemo } from './demo.js';
import { register as registerData } from './data.js';
import { register as registerTokenize } from './tokenize.js';
import { register as registerMetrics } from './metrics.js';
import { register as registerHub } from './hub.js';
import { register as registerPredict } from './predict.js';
import { register as registerGenerate } from './generate.js';
import { register as registerNormalize } from './normalize.js';
import { register as registerEvaluate } from './evaluate.js';
import { register as registerCv } from './cv.js';
import { register as registerSearch } from './search.js';
import { register as registerTrain } from './train.js';

/** The `lengua` command. Each stage contributes its subcommands through a `register` function. */
export function buildProgram(): Command {
  const program = new Command('lengua')
    .description('The Hugging Face NLP workflow for TypeScript: preprocess, tokenize, train, evaluate, serve.')
    .version('0.1.0')
    .showHelpAfterError();
  for (const register of registrations) register(program);
  return program;
}

const registrations: Array<(program: Command) => void> = [registerDemo, registerData, registerTokenize, registerMetrics, registerHub, registerPredict, registerGenerate, registerNormalize, registerTrain, registerEvaluate, registerCv, registerSearch];

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof LenguaError) {
      process.stderr.write(`lengua: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

