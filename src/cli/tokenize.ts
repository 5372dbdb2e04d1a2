import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Command, Option } from 'commander';
import { LenguaError } from '../errors.js';
import { parseJsonObject } from '../util/json.js';
import { AutoTokenizer, MAX_INPUT_CHARS, type EncodeOptions, type Encoding, type PreTrainedTokenizer } from '../text/tokenizer/index.js';
import { intFlag } from './options.js';

interface TokenizeFlags {
  model: string;
  pair?: string;
  input?: string;
  json?: boolean;
  maxLength?: string;
  truncation?: string | boolean;
  padding?: string | boolean;
  specialTokens: boolean;
}

function encodeOptions(f: TokenizeFlags): EncodeOptions {
  const o: EncodeOptions = { addSpecialTokens: f.specialTokens };
  if (f.maxLength !== undefined) o.maxLength = intFlag(f.maxLength, '--max-length', 1, 1_000_000);
  if (f.truncation !== undefined) o.truncation = f.truncation as EncodeOptions['truncation'];
  if (f.padding !== undefined) o.padding = f.padding === true ? 'max_length' : (f.padding as EncodeOptions['padding']);
  return o;
}

function output(e: Encoding, json: boolean, text: string, pair: string | undefined): string {
  if (json) {
    return JSON.stringify({ ids: e.ids, tokens: e.tokens, attentionMask: e.attentionMask, tokenTypeIds: e.tokenTypeIds, offsets: e.offsets });
  }
  const lines = [`text: ${JSON.stringify(text)}${pair !== undefined ? `  pair: ${JSON.stringify(pair)}` : ''}`];
  lines.push(`  ${e.ids.length} tokens`);
  e.tokens.forEach((t, i) => {
    const [s, en] = e.offsets[i]!;
    const src = e.specialTokensMask[i] ? '' : `  ${JSON.stringify((e.tokenTypeIds[i] === 1 && pair !== undefined ? pair : text).slice(s, en))}`;
    lines.push(`  ${String(i).padStart(4)}  ${String(e.ids[i]).padStart(6)}  ${t}  [${s}, ${en})${src}`);
  });
  return lines.join('\n');
}

/** Reads `{"text": ..., "pair"?: ...}` lines, naming the file and line of any bad one. */
async function* readJsonl(file: string): AsyncGenerator<{ text: string; pair?: string }> {
  if (!existsSync(file)) throw new LenguaError('no such file', { file });
  const rl = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let line = 0;
  for await (const raw of rl) {
    line++;
    if (raw.trim() === '') continue;
    if (raw.length > 2 * MAX_INPUT_CHARS) throw new LenguaError(`line is ${raw.length} characters, over the ${2 * MAX_INPUT_CHARS} limit`, { file, line });
    const o = parseJsonObject(raw, { file, line });
    if (typeof o.text !== 'string') throw new LenguaError('expected a string', { file, line, field: 'text' });
    if (o.pair !== undefined && o.pair !== null && typeof o.pair !== 'string') throw new LenguaError('expected a string', { file, line, field: 'pair' });
    yield typeof o.pair === 'string' ? { text: o.text, pair: o.pair } : { text: o.text };
  }
}

async function run(texts: string[], f: TokenizeFlags): Promise<void> {
  if (texts.length === 0 && f.input === undefined) throw new LenguaError('give one or more TEXT arguments or --input FILE.jsonl');
  const tok: PreTrainedTokenizer = await AutoTokenizer.fromPretrained(f.model);
  const opts = encodeOptions(f);
  const json = f.json === true;
  const emit = (text: string, pair: string | undefined): void => {
    const e = tok.encode(text, pair === undefined ? opts : { ...opts, pair });
    process.stdout.write(output(e, json, text, pair) + '\n');
  };
  for (const t of texts) emit(t, f.pair);
  if (f.input !== undefined) {
    for await (const row of readJsonl(f.input)) emit(row.text, row.pair ?? f.pair);
  }
}

export function register(program: Command): void {
  program
    .command('tokenize')
    .description('Tokenize texts with a model folder\'s tokenizer: ids, tokens, attention mask, token type ids and character offsets')
    .argument('[text...]', 'texts to tokenize')
    .requiredOption('--model <dir>', 'model folder (tokenizer.json, or vocab.txt / vocab.json + merges.txt) or Hub id')
    .option('--pair <text>', 'second text of a pair, for every TEXT (and --input lines without "pair")')
    .option('--input <file.jsonl>', 'JSON lines with {"text": ..., "pair"?: ...}')
    .option('--json', 'one JSON object per input: {ids, tokens, attentionMask, tokenTypeIds, offsets}')
    .option('--max-length <n>', 'length limit for truncation and max_length padding (default: the model\'s)')
    .addOption(new Option('--truncation [strategy]', 'truncate to --max-length').choices(['longest_first', 'only_first', 'only_second']))
    .addOption(new Option('--padding [strategy]', 'pad to --max-length (default) or the longest').choices(['longest', 'max_length']))
    .option('--no-special-tokens', 'do not add [CLS]/[SEP], <s>/</s>')
    .action(async (texts: string[], flags: TokenizeFlags) => {
      await run(texts, flags);
    });
}
