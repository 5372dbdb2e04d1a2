/**
 * `lengua pretrain`: masked-language-model pretraining, as transformers' `run_mlm.py` does it — from random
 * weights (`--model-type bert|distilbert|roberta` with `--config-overrides`, like run_mlm's `--model_type` and
 * `--config_overrides`) or continuing a checkpoint (`--model DIR`). With no `--tokenizer` a WordPiece tokenizer
 * is trained on the training texts first (BERT/DistilBERT; RoBERTa needs its byte-level BPE given).
 *
 * Texts come one per line from text files, or from the text column of .jsonl/.csv/.tsv/.json files. Without
 * --eval, --validation-split-percentage of the texts (default 5, as run_mlm) is held out — drawn at random with
 * the seed, not the first texts as run_mlm takes them: a corpus built by concatenating sources would otherwise
 * be validated on one source only.
 *
 * The output folder is a Hugging Face masked-LM folder (config.json, model.safetensors, tokenizer files) with a
 * model card (README.md: sources and licenses from --source, loss curve, evaluation) and the usual
 * train_results.json / eval_results.json / all_results.json / trainer_state.json.
 */
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { LenguaError } from '../errors.js';
import { mulberry32, shuffleInPlace } from '../data/index.js';
import { writeFileAtomic } from '../util/fs.js';
import type { TrainingArguments } from '../train/arguments.js';
import type { CorpusFile, CorpusSource } from '../train/model-card.js';
import { argumentOption } from './options.js';
import { ARGUMENT_FLAGS, inRunFolder, resolveArguments } from './train.js';
import { datasetReader } from './tokenizer.js';

export const PRETRAIN_MODEL_TYPES = ['bert', 'distilbert', 'roberta'] as const;

interface PretrainFlags {
  train: string[];
  eval?: string;
  out: string;
  model?: string;
  modelType?: (typeof PRETRAIN_MODEL_TYPES)[number];
  configOverrides?: string;
  tokenizer?: string;
  vocabSize?: string;
  cased?: boolean;
  textColumn?: string;
  validationSplitPercentage?: string;
  lineByLine?: boolean;
  mlmProbability?: string;
  wholeWordMask?: boolean;
  source?: string[];
  license?: string;
  language?: string[];
  name?: string;
  config?: string;
  device?: string;
  threads?: string;
  json?: boolean;
  [key: string]: unknown;
}

function print(s: string): void {
  process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
}

function num(value: string, flag: string, min: number, max: number, integer: boolean): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new LenguaError(`expected ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${JSON.stringify(value)}`, { field: flag });
  }
  return n;
}

/** run_mlm's --config_overrides: "n_embd=10,resid_pdrop=0.2" → { n_embd: 10, resid_pdrop: 0.2 } (numbers and booleans parsed). */
export function parseConfigOverrides(s: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const part of s.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new LenguaError(`expected key=value, got ${JSON.stringify(part)}`, { field: '--config-overrides' });
    const key = part.slice(0, eq).trim();
    const raw = part.slice(eq + 1).trim();
    if (!/^[a-z_][a-z0-9_]*$/.test(key)) throw new LenguaError(`not a config key: ${JSON.stringify(key)}`, { field: '--config-overrides' });
    out[key] = raw === 'true' ? true : raw === 'false' ? false : raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  }
  return out;
}

/** --source "name | license | origin": the card's corpus table. */
export function parseSource(s: string): CorpusSource {
  const [name, license, origin] = s.split('|').map((x) => x.trim());
  if (!name || !license) throw new LenguaError(`expected "name | license [| origin]", got ${JSON.stringify(s)}`, { field: '--source' });
  return { name, license, ...(origin ? { origin } : {}) };
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Every text of the files, in order, and a fingerprint of each file for the card. */
async function readTexts(files: readonly string[], textColumn: string | undefined): Promise<{ texts: string[]; files: CorpusFile[] }> {
  const { readCorpus } = await import('../text/tokenizer/train/index.js');
  const texts: string[] = [];
  const seen: Array<{ path: string; texts: number; bytes: number }> = [];
  await readCorpus(files, (t) => texts.push(t), { reader: datasetReader(textColumn), onFile: (path, n, bytes) => seen.push({ path, texts: n, bytes }) });
  const out: CorpusFile[] = [];
  for (const f of seen) out.push({ ...f, sha256: await sha256File(f.path) });
  return { texts, files: out };
}

async function run(flags: PretrainFlags): Promise<void> {
  const args = resolveArguments(flags, flags.out, flags.config);
  const threads = flags.threads !== undefined ? num(flags.threads, '--threads', 1, 1024, true) : availableParallelism();
  if ((flags.model === undefined) === (flags.modelType === undefined)) {
    throw new LenguaError('give --model DIR (continue pretraining a checkpoint) or --model-type bert|distilbert|roberta (from random weights), not both', { field: '--model' });
  }
  if (flags.model !== undefined && (flags.configOverrides !== undefined || flags.vocabSize !== undefined)) {
    throw new LenguaError('--config-overrides and --vocab-size describe a new model; --model continues an existing one', { field: flags.configOverrides !== undefined ? '--config-overrides' : '--vocab-size' });
  }
  if (flags.tokenizer !== undefined && flags.vocabSize !== undefined) throw new LenguaError('--vocab-size trains a tokenizer; --tokenizer gives one', { field: '--vocab-size' });
  if (flags.modelType === 'roberta' && flags.tokenizer === undefined) {
    throw new LenguaError('--model-type roberta needs --tokenizer DIR (a byte-level BPE with <s> </s> <mask>); lengua trains WordPiece tokenizers for bert and distilbert', { field: '--tokenizer' });
  }
  const overrides = flags.configOverrides !== undefined ? parseConfigOverrides(flags.configOverrides) : {};
  const sources = (flags.source ?? []).map(parseSource);
  const mlmProbability = flags.mlmProbability !== undefined ? num(flags.mlmProbability, '--mlm-probability', 0.001, 0.999, false) : 0.15;
  const splitPct = flags.validationSplitPercentage !== undefined ? num(flags.validationSplitPercentage, '--validation-split-percentage', 0, 50, false) : 5;
  if (flags.eval !== undefined && flags.validationSplitPercentage !== undefined) throw new LenguaError('give --eval FILE or --validation-split-percentage, not both', { field: '--validation-split-percentage' });

  await inRunFolder(args, () => runLocked(flags, args, { threads, overrides, sources, mlmProbability, splitPct }));
}

interface Settings {
  threads: number;
  overrides: Record<string, unknown>;
  sources: CorpusSource[];
  mlmProbability: number;
  splitPct: number;
}

async function runLocked(flags: PretrainFlags, args: TrainingArguments, s: Settings): Promise<void> {
  const started = performance.now();
  const log = (m: string): void => {
    if (!args.quiet) process.stderr.write(`${m}\n`);
  };
  const corpus = await readTexts(flags.train, flags.textColumn);
  let trainTexts = corpus.texts;
  let evalTexts: string[] = [];
  const files = [...corpus.files];
  if (flags.eval !== undefined) {
    const ev = await readTexts([flags.eval], flags.textColumn);
    evalTexts = ev.texts;
    files.push(...ev.files);
  } else if (s.splitPct > 0) {
    const order = shuffleInPlace(trainTexts.map((_, i) => i), mulberry32(args.seed));
    const held = new Set(order.slice(0, Math.max(1, Math.round((trainTexts.length * s.splitPct) / 100))));
    evalTexts = trainTexts.filter((_, i) => held.has(i));
    trainTexts = trainTexts.filter((_, i) => !held.has(i));
  }
  if (trainTexts.length === 0) throw new LenguaError('no training texts (every line was blank?)', { file: flags.train[0] });
  log(`Read ${corpus.texts.length} texts from ${flags.train.length} file(s); ${trainTexts.length} for training, ${evalTexts.length} for evaluation`);

  const torch = await import('../torch/index.js');
  const { AutoConfig, AutoModelForMaskedLM } = await import('../models/index.js');
  const { AutoTokenizer } = await import('../text/tokenizer/index.js');
  const { encodeMlm } = await import('../train/mlm-data.js');
  const { MaskedLMTrainer } = await import('../train/mlm-trainer.js');
  const { renderPretrainingCard } = await import('../train/model-card.js');
  torch.setNumThreads(s.threads);
  const device = (flags.device ?? 'cpu') as import('../torch/index.js').Device;

  // The tokenizer: given, the checkpoint's, or trained here on the training texts only.
  let tokenizerDir = flags.tokenizer ?? flags.model;
  let trainedHere = false;
  let scratch: string | null = null;
  try {
    if (tokenizerDir === undefined) {
      const { saveTrainedTokenizer, trainTokenizer } = await import('../text/tokenizer/train/index.js');
      scratch = mkdtempSync(join(tmpdir(), 'lengua-pretrain-'));
      const lines = join(scratch, 'train.txt');
      // The trainer reads files; one text per line (a text's own line breaks become spaces).
      writeFileAtomic(lines, trainTexts.map((t) => t.replace(/[\r\n]+/g, ' ')).join('\n') + '\n');
      const vocabSize = flags.vocabSize !== undefined ? num(flags.vocabSize, '--vocab-size', 100, 200_000, true) : 8000;
      log(`Training a WordPiece tokenizer (${vocabSize} tokens, ${flags.cased ? 'cased' : 'lowercased'}) on the training texts`);
      saveTrainedTokenizer(join(scratch, 'tokenizer'), await trainTokenizer([lines], { model: 'wordpiece', vocabSize, lowercase: flags.cased !== true }));
      tokenizerDir = join(scratch, 'tokenizer');
      trainedHere = true;
    }
    const tokenizer = await AutoTokenizer.fromPretrained(tokenizerDir);

    let model;
    if (flags.model !== undefined) {
      model = await AutoModelForMaskedLM.fromPretrained(flags.model, { seed: args.seed, device });
    } else {
      const config = AutoConfig.forModel(flags.modelType!, { vocab_size: tokenizer.vocabSize, ...s.overrides });
      if (config.vocabSize < tokenizer.vocabSize) throw new LenguaError(`vocab_size ${config.vocabSize} is below the tokenizer's ${tokenizer.vocabSize} tokens`, { field: '--config-overrides' });
      if (tokenizer.padTokenId !== null) config.set('pad_token_id', tokenizer.padTokenId);
      model = AutoModelForMaskedLM.fromConfig(config, { seed: args.seed });
      if (device !== 'cpu') model.to(device);
    }
    const blockSize = Math.min(args.maxLength, model.maxInputTokens, tokenizer.hasModelMaxLength ? tokenizer.modelMaxLength : Infinity);
    if (blockSize < args.maxLength) log(`maxLength ${args.maxLength} is above what the model takes; blocks of ${blockSize} tokens`);
    const enc = { maxLength: blockSize, lineByLine: flags.lineByLine === true };
    const train = encodeMlm(trainTexts, tokenizer, enc);
    const evalSet = evalTexts.length > 0 ? encodeMlm(evalTexts, tokenizer, enc) : undefined;
    if (args.evalStrategy !== 'no' && evalSet === undefined) throw new LenguaError(`evalStrategy is ${args.evalStrategy}: give --eval FILE or a --validation-split-percentage above 0`, { field: 'evalStrategy' });
    const trainTokens = train.lengths.reduce((a, b) => a + b, 0);
    let parameters = 0;
    for (const p of model.parameters()) parameters += p.shape.reduce((a, b) => a * b, 1);
    log(`Pretraining ${model.className} (${parameters.toLocaleString('en-US')} parameters) on ${train.inputIds.length} examples of ≤ ${blockSize} tokens (${trainTokens.toLocaleString('en-US')} tokens)` +
      `${evalSet ? `, evaluating on ${evalSet.inputIds.length}` : ''}; ${s.threads} thread(s) on ${device}`);

    const masking = { mlmProbability: s.mlmProbability, wholeWordMask: flags.wholeWordMask === true };
    const trainer = new MaskedLMTrainer({ model, args, trainDataset: train, ...(evalSet ? { evalDataset: evalSet } : {}), tokenizer, ...masking });
    const result = await trainer.train();
    const metrics: Record<string, number> = { ...result.metrics };
    const evaluation = evalSet ? await trainer.evaluate() : null;
    if (evaluation) Object.assign(metrics, evaluation);
    await trainer.saveModel(args.outputDir);
    const out = args.outputDir;
    writeFileAtomic(join(out, 'train_results.json'), JSON.stringify(result.metrics, null, 2) + '\n');
    if (evaluation) writeFileAtomic(join(out, 'eval_results.json'), JSON.stringify(evaluation, null, 2) + '\n');
    writeFileAtomic(join(out, 'all_results.json'), JSON.stringify(metrics, null, 2) + '\n');
    trainer.saveState();

    const c = model.config;
    const json = c.toJSON() as Record<string, unknown>;
    const int = (k: string, fallback = 0): number => (typeof json[k] === 'number' ? (json[k] as number) : fallback);
    const card = renderPretrainingCard({
      name: flags.name ?? flags.out.replace(/\/+$/, '').split('/').pop() ?? 'model',
      license: flags.license ?? 'other',
      languages: flags.language ?? [],
      architecture: model.className,
      modelType: String(json.model_type),
      shape: {
        layers: model.numLayers, hidden: int('hidden_size', int('dim')), heads: int('num_attention_heads', int('n_heads')),
        intermediate: int('intermediate_size', int('hidden_dim')), positions: int('max_position_embeddings'), parameters,
      },
      tokenizer: { kind: trainedHere ? `WordPiece (${flags.cased ? 'cased' : 'lowercased'})` : 'given', vocabSize: tokenizer.vocabSize, trainedHere },
      sources: s.sources,
      files: files.map((f) => ({ ...f, path: f.path.split('/').slice(-2).join('/') })),
      data: { blockSize, lineByLine: enc.lineByLine, trainBlocks: train.inputIds.length, evalBlocks: evalSet?.inputIds.length ?? 0, trainTokens },
      masking,
      training: {
        steps: result.globalStep, epochs: Math.round(trainer.state.epoch * 100) / 100, learning_rate: args.learningRate, batch_size: args.perDeviceTrainBatchSize,
        gradient_accumulation_steps: args.gradientAccumulationSteps, warmup_ratio: args.warmupRatio, weight_decay: args.weightDecay, lr_scheduler: args.lrSchedulerType, seed: args.seed,
      },
      logHistory: trainer.state.logHistory,
      evaluation,
      runtimeSeconds: (performance.now() - started) / 1000,
      threads: s.threads,
    });
    writeFileAtomic(join(out, 'README.md'), card);
    if (flags.json) {
      print(JSON.stringify({ outputDir: out, globalStep: result.globalStep, parameters, metrics }, null, 2));
    } else {
      print(`Saved the pretrained model to ${out} (step ${result.globalStep}, ${parameters.toLocaleString('en-US')} parameters); model card: ${join(out, 'README.md')}`);
      for (const [k, v] of Object.entries(metrics).filter(([k]) => /^(train_loss|train_runtime|eval_loss|eval_perplexity|eval_accuracy)$/.test(k))) {
        print(`  ${k.padEnd(18)} ${Number.isInteger(v) ? v : v.toFixed(4)}`);
      }
    }
  } finally {
    if (scratch !== null) rmSync(scratch, { recursive: true, force: true });
  }
}

export function register(program: Command): void {
  const cmd = program
    .command('pretrain')
    .description('pretrain a masked language model (run_mlm.py semantics): from random weights with a tokenizer trained on the corpus, or continuing a checkpoint')
    .requiredOption('--train <files...>', 'training texts: text files (one text per line) or .jsonl/.csv/.tsv/.json (their text column)')
    .option('--eval <file>', 'evaluation texts (default: --validation-split-percentage of the training texts)')
    .requiredOption('--out <dir>', 'output folder: the masked-LM model folder, its model card, checkpoints, log.jsonl')
    .option('--model <dir|id>', 'continue pretraining this masked-LM checkpoint (its tokenizer too)')
    .addOption(new Option('--model-type <type>', 'start from random weights of this family').choices([...PRETRAIN_MODEL_TYPES]))
    .option('--config-overrides <k=v,...>', 'config.json keys of the new model, e.g. hidden_size=256,num_hidden_layers=4,num_attention_heads=4,intermediate_size=1024,max_position_embeddings=256')
    .option('--tokenizer <dir>', 'tokenizer folder (default: train a WordPiece tokenizer on the training texts)')
    .option('--vocab-size <n>', 'size of the tokenizer trained here (default 8000)')
    .option('--cased', 'the tokenizer trained here keeps case and accents (default: lowercased, as bert-base-uncased)')
    .option('--text-column <name>', 'column holding the text in .jsonl/.csv/.tsv/.json files')
    .option('--validation-split-percentage <p>', 'percent of the training texts held out for evaluation when there is no --eval (default 5)')
    .option('--line-by-line', 'one text per example (truncated) instead of concatenated blocks of --max-length tokens')
    .option('--mlm-probability <p>', 'share of tokens chosen for prediction (default 0.15)')
    .option('--whole-word-mask', 'choose whole words (DataCollatorForWholeWordMask)')
    .option('--source <text...>', 'for the model card: "name | license | origin" of each corpus source')
    .option('--name <name>', 'title of the model card (default: the --out folder\'s name)')
    .option('--license <id>', 'license of the weights in the model card (default: other)')
    .option('--language <code...>', 'languages of the model card (e.g. en es)')
    .option('--config <file>', 'TrainingArguments as JSON or YAML; flags override it')
    .option('--device <device>', 'cpu (default) or cuda[:n]')
    .option('--threads <n>', 'libtorch CPU threads (default: the number of cores)')
    .option('--json', 'print the final metrics as JSON');
  for (const name of ARGUMENT_FLAGS) cmd.addOption(argumentOption(name));
  cmd.addHelpText(
    'after',
    '\nExample:\n  lengua pretrain --model-type bert --train corpus.txt --out models/tiny-bert --vocab-size 8000 \\\n' +
      '    --config-overrides hidden_size=128,num_hidden_layers=2,num_attention_heads=2,intermediate_size=512,max_position_embeddings=256 \\\n' +
      '    --max-length 128 --num-train-epochs 1 --learning-rate 5e-4 --warmup-ratio 0.05 --eval-strategy epoch',
  );
  cmd.action(async (flags: PretrainFlags) => {
    await run(flags);
  });
}
