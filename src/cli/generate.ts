/**
 * `lengua generate --model DIR PROMPT`: greedy decoding with a GPT-2 causal LM folder (through its
 * tokenizer). Deterministic: the same folder and prompt always give the same text.
 */
import { Command } from 'commander';
import { LenguaError } from '../errors.js';
import { AutoTokenizer } from '../text/tokenizer/index.js';
import { AutoModelForCausalLM, greedyGenerate } from '../models/index.js';

interface GenerateFlags {
  model: string;
  maxNewTokens: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('generate')
    .description('greedy text generation with a GPT-2 model folder')
    .requiredOption('--model <dir>', 'model folder or Hub id (config.json, model.safetensors, tokenizer files)')
    .option('--max-new-tokens <n>', 'tokens to generate at most', '20')
    .option('--json', 'print {"generated_text", "ids"} as JSON')
    .argument('<prompt>', 'text to continue')
    .action(async (prompt: string, flags: GenerateFlags) => {
      const n = Number(flags.maxNewTokens);
      if (!/^\d+$/.test(flags.maxNewTokens) || !Number.isSafeInteger(n) || n > 100_000) {
        throw new LenguaError(`expected an integer in [0, 100000], got ${JSON.stringify(flags.maxNewTokens)}`, { field: '--max-new-tokens' });
      }
      const tok = await AutoTokenizer.fromPretrained(flags.model);
      const model = await AutoModelForCausalLM.fromPretrained(flags.model);
      const promptIds = tok.encode(prompt).ids;
      const ids = greedyGenerate(model, promptIds, { maxNewTokens: n });
      const text = tok.decode(ids);
      if (flags.json) process.stdout.write(JSON.stringify({ generated_text: text, ids }) + '\n');
      else process.stdout.write(text + '\n');
    });
}
