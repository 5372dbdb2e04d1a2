import { Command, CommanderError } from 'commander';
import { LenguaError } from '../errors.js';
import { describeSystemError, isSystemError } from '../util/fs.js';

const LENGUA_VERSION = '0.1.0';

type Registration = (program: Command) => void;

/**
 * The subcommands, in the order `lengua --help` lists them; each module is named after its command. They are
 * imported on demand: loading all twenty (onnxruntime, fastify, the trainers…) cost ~1.5 s of CPU on every start,
 * which a command needs only for `lengua --help`. One per line, so that each stage's line is its own change.
 */
const COMMANDS: ReadonlyArray<readonly [string, () => Promise<{ register: Registration }>]> = [
  ['demo', () => import('./demo.js')],
  ['data', () => import('./data.js')],
  ['tokenize', () => import('./tokenize.js')],
  ['tokenizer', () => import('./tokenizer.js')],
  ['metrics', () => import('./metrics.js')],
  ['hub', () => import('./hub.js')],
  ['predict', () => import('./predict.js')],
  ['generate', () => import('./generate.js')],
  ['normalize', () => import('./normalize.js')],
  ['train', () => import('./train.js')],
  ['pretrain', () => import('./pretrain.js')],
  ['evaluate', () => import('./evaluate.js')],
  ['cv', () => import('./cv.js')],
  ['search', () => import('./search.js')],
  ['export', () => import('./export.js')],
  ['registry', () => import('./registry.js')],
  ['serve', () => import('./serve.js')],
  ['keys', () => import('./keys.js')],
  ['monitor', () => import('./monitor.js')],
  ['assist', () => import('./assist.js')],
];

/**
 * The `lengua` command. Given the arguments, only the subcommand they name is registered (its parsing and help
 * are complete); without one, or with an unknown name (so commander can suggest the closest), all of them.
 */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command('lengua')
    .description('The Hugging Face NLP workflow for TypeScript: preprocess, tokenize, train, evaluate, serve.')
    // `-V` only: a root `--version` would take the flag from every subcommand (`registry push --version 1.2.3`
    // printed lengua's version); `lengua --version` alone is answered in main().
    .version(LENGUA_VERSION, '-V')
    .option('--debug', 'print the stack trace of an error (also LENGUA_DEBUG=1)')
    .showHelpAfterError();
  // The root's only options are flags without values, so the first word that is not an option is the command.
  const named = argv.find((a) => !a.startsWith('-'));
  const wanted = COMMANDS.filter(([name]) => name === named);
  for (const [, load] of wanted.length === 1 ? wanted : COMMANDS) (await load()).register(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 1 && argv[0] === '--version') {
    process.stdout.write(`${LENGUA_VERSION}\n`);
    return 0;
  }
  const program = await buildProgram(argv);
  program.exitOverride();
  const debug = argv.includes('--debug') || process.env.LENGUA_DEBUG === '1';
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
