/**
 * `lengua generate --model DIR PROMPT`: text generation with a GPT-2 causal LM — or, for a T5, BART or Marian
 * folder, text-to-text generation (translation, summarization) from PROMPT as the source — through its tokenizer, with
 * transformers' generation options (greedy by default; beam search, sampling with a seed, penalties, stop
 * strings). `--engine onnx` runs an exported folder (onnx/decoder_model_merged.onnx) on ONNX Runtime with the
 * KV cache, in a worker thread; `--engine torch` runs the model folder on libtorch. By default an exported
 * folder runs on ONNX Runtime and a model folder on libtorch. Both engines share one search, so they give the
 * same ids for the same logits.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { LenguaError } from '../errors.js';
import { readConfigJson, resolveModelDir } from '../hub/index.js';
import { AutoTokenizer } from '../text/tokenizer/index.js';
import { AutoModelForCausalLM, AutoModelForSeq2SeqLM, generateSeq2Seq, torchCausalLm, type GPT2LMHeadModel } from '../models/index.js';
import { generate, resolveGenerationConfig, type GenerateCallbacks, type GeneratedSequence, type GenerationOptions } from '../generation/index.js';
import { DECODER_FILE, modelGenerationOptions, TextGenerationPipeline } from '../infer/generation/index.js';
import { isSeq2SeqModelType } from '../infer/generation/onnx-seq2seq.js';
import { TextStreamDecoder } from '../infer/generation/stream-text.js';

interface GenerateFlags {
  model: string;
  engine?: 'torch' | 'onnx';
  maxNewTokens: string;
  minNewTokens?: string;
  numBeams?: string;
  numReturnSequences?: string;
  doSample?: boolean;
  temperature?: string;
  topK?: string;
  topP?: string;
  repetitionPenalty?: string;
  noRepeatNgramSize?: string;
  lengthPenalty?: string;
  earlyStopping?: string;
  seed?: string;
  stop?: string[];
  threads?: string;
  stream?: boolean;
  json?: boolean;
}

function int(v: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min || n > max) throw new LenguaError(`expected an integer in [${min}, ${max}], got ${JSON.stringify(v)}`, { field: flag });
  return n;
}

function float(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new LenguaError(`expected a number, got ${JSON.stringify(v)}`, { field: flag });
  return n;
}

function optionsOf(f: GenerateFlags): GenerationOptions {
  const o: GenerationOptions = { maxNewTokens: int(f.maxNewTokens, '--max-new-tokens', 0, 100_000)! };
  const set = <K extends keyof GenerationOptions>(k: K, v: GenerationOptions[K] | undefined): void => {
    if (v !== undefined) o[k] = v;
  };
  set('minNewTokens', int(f.minNewTokens, '--min-new-tokens', 0, 100_000));
  set('numBeams', int(f.numBeams, '--num-beams', 1, 64));
  set('numReturnSequences', int(f.numReturnSequences, '--num-return-sequences', 1, 64));
  if (f.doSample === true) o.doSample = true;
  set('temperature', float(f.temperature, '--temperature'));
  set('topK', int(f.topK, '--top-k', 0, 2 ** 31 - 1));
  set('topP', float(f.topP, '--top-p'));
  set('repetitionPenalty', float(f.repetitionPenalty, '--repetition-penalty'));
  set('noRepeatNgramSize', int(f.noRepeatNgramSize, '--no-repeat-ngram-size', 0, 64));
  set('lengthPenalty', float(f.lengthPenalty, '--length-penalty'));
  if (f.earlyStopping !== undefined) {
    if (!['true', 'false', 'never'].includes(f.earlyStopping)) throw new LenguaError(`expected true, false or never, got ${JSON.stringify(f.earlyStopping)}`, { field: '--early-stopping' });
    o.earlyStopping = f.earlyStopping === 'never' ? 'never' : f.earlyStopping === 'true';
  }
  set('seed', int(f.seed, '--seed', 0, Number.MAX_SAFE_INTEGER));
  if (f.stop !== undefined && f.stop.length > 0) o.stopStrings = f.stop;
  return o;
}

interface Answer {
  generated_text: string;
  ids: number[];
}

export function register(program: Command): void {
  program
    .command('generate')
    .description('text generation with a GPT-2 model folder (libtorch) or its ONNX export (ONNX Runtime, KV cache); with a T5/BART/Marian folder, the text generated from PROMPT as the source (translation, summarization)')
    .requiredOption('--model <dir>', 'model folder, exported folder or Hub id (config.json, tokenizer files, model.safetensors or onnx/decoder_model_merged.onnx)')
    .addOption(new Option('--engine <engine>', 'torch or onnx (default: onnx for an exported folder, else torch)').choices(['torch', 'onnx']))
    .option('--max-new-tokens <n>', 'tokens to generate at most', '20')
    .option('--min-new-tokens <n>', 'EOS is banned before this many new tokens')
    .option('--num-beams <n>', 'beam search with n beams')
    .option('--num-return-sequences <n>', 'answers per prompt (at most --num-beams without sampling)')
    .option('--do-sample', 'sample instead of the most likely token')
    .option('--temperature <x>', 'sampling temperature')
    .option('--top-k <n>', 'sampling keeps the k most likely tokens (default 50; 0: all)')
    .option('--top-p <x>', 'sampling keeps the smallest set of tokens with this probability mass')
    .option('--repetition-penalty <x>', 'penalty on tokens already in the text (1: none)')
    .option('--no-repeat-ngram-size <n>', 'never repeat an n-gram')
    .option('--length-penalty <x>', 'beam search: exponent of the generated length that scores divide by')
    .option('--early-stopping <when>', 'beam search: true, false or never')
    .option('--seed <n>', 'seed of the sampler (the same seed gives the same text)')
    .option('--stop <text>', 'a stop string: a row ends once its new text contains it (repeat for several)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--threads <n>', 'ONNX Runtime threads (default $LENGUA_NUM_THREADS, else 2)')
    .option('--stream', 'print the text as it is generated (greedy or sampling)')
    .option('--json', 'print {"generated_text", "ids", "engine"} as JSON, one line per sequence')
    .argument('<prompt>', 'text to continue (an encoder-decoder: the source text, with any task prefix the model expects)')
    .action(async (prompt: string, flags: GenerateFlags) => {
      const opts = optionsOf(flags);
      const threads = int(flags.threads, '--threads', 1, 1024);
      const dir = await resolveModelDir(flags.model, { weights: false });
      const exported = existsSync(join(dir, DECODER_FILE));
      const engine = flags.engine ?? (exported ? 'onnx' : 'torch');
      if (engine === 'onnx' && !exported) {
        throw new LenguaError(`--engine onnx needs ${DECODER_FILE}: run \`lengua export --model ${flags.model} --task text-generation --out DIR\` and pass --model DIR`, { file: dir, field: '--engine' });
      }
      if (flags.stream === true && ((opts.numBeams ?? 1) > 1 || (opts.numReturnSequences ?? 1) > 1)) {
        throw new LenguaError('--stream generates one sequence: leave out --num-beams and --num-return-sequences', { field: '--stream' });
      }
      const write = (s: string): void => void process.stdout.write(s);
      const modelConfig = readConfigJson(dir).json;
      // An encoder-decoder reads the prompt as its source: the answer is the generated text alone.
      const seq2seq = isSeq2SeqModelType(modelConfig.model_type);
      const echo = seq2seq ? '' : prompt;
      let answers: Answer[];
      if (engine === 'onnx') {
        const popts = threads !== undefined ? { numThreads: threads } : {};
        const pipe = seq2seq ? await TextGenerationPipeline.open(dir, popts, 'seq2seq') : await TextGenerationPipeline.create(dir, popts);
        try {
          if (flags.stream === true && flags.json !== true) {
            write(echo);
            for await (const t of pipe.stream(prompt, opts)) write(t.text);
            write('\n');
            return;
          }
          const rows = await pipe.generateIds(prompt, opts);
          answers = rows.map((r) => ({ generated_text: echo + r.text, ids: r.ids }));
        } finally {
          await pipe.dispose();
        }
      } else {
        const tok = await AutoTokenizer.fromPretrained(flags.model);
        const config = resolveGenerationConfig(modelGenerationOptions(dir, modelConfig), opts);
        let run: (cb: GenerateCallbacks) => Promise<GeneratedSequence[]>;
        if (seq2seq) {
          const model = await AutoModelForSeq2SeqLM.fromPretrained(flags.model);
          // Cut at the tokenizer's model_max_length when it names one, as the ONNX worker (and transformers' pipelines) do.
          const source = tok.encode(prompt, { truncation: tok.hasModelMaxLength }).ids;
          run = (cb) => generateSeq2Seq(model, [source], config, cb);
        } else {
          const model = (await AutoModelForCausalLM.fromPretrained(flags.model)) as GPT2LMHeadModel;
          run = (cb) => generate(torchCausalLm(model), [tok.encode(prompt, { addSpecialTokens: false }).ids], config, cb);
        }
        const streamer = flags.stream === true && flags.json !== true ? new TextStreamDecoder(tok) : null;
        if (streamer !== null) write(echo);
        const rows = await run({
          onTokens: streamer === null ? undefined : (t) => t[0] !== null && t[0] !== undefined && write(streamer.push(t[0])),
        });
        if (streamer !== null) {
          const text = tok.decode(rows[0]!.generated, { skipSpecialTokens: true });
          write(text.slice(streamer.printedLength) + '\n');
          return;
        }
        // ids as the ONNX worker reports them: the prompt (a seq2seq model's: its decoder start) and the new tokens.
        answers = rows.map((r) => ({ generated_text: echo + tok.decode(r.generated, { skipSpecialTokens: true }), ids: r.sequence }));
      }
      for (const a of answers) write(flags.json === true ? JSON.stringify({ ...a, engine }) + '\n' : a.generated_text + '\n');
    });
}
