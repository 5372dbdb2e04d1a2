/**
 * `PreTrainedModel`: what every Lengua model shares with transformers' class of the same name —
 * a config, the base-model prefix, tied weights, loading a checkpoint with HF's renaming rules and
 * warnings, and `savePretrained` writing a folder Python's `from_pretrained` reads.
 *
 * It is also the one interface the other stages (training, evaluation, export, the CLI) use to learn
 * what they need about an architecture — the longest input, whether it takes token types, where a
 * parameter sits, how to cut it for a frozen-layer cache, its task's loss, its dropout — so that
 * nothing outside `src/models/` tests for a class or parses parameter names.
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as torch from '../torch/index.js';
import { nn } from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { LenguaError } from '../errors.js';
import type { PretrainedConfig } from '../hub/config.js';
import { planWeightLoading } from '../hub/weights.js';
import { saveCheckpoint } from '../hub/checkpoint.js';
import type { SafetensorsEntry, SafetensorsFile } from '../hub/safetensors.js';
import { entryToFloat32 } from '../hub/safetensors.js';
import { completeTokenizerFolder } from '../text/tokenizer/index.js';
import { logger } from './logging.js';
import { initWeights, type InitOptions } from './modeling/init.js';
import type { ForwardInput } from './modeling/outputs.js';
import type { LossOptions } from './modeling/losses.js';
import type { ModelSplit } from './modeling/split.js';
import type { Device, TensorLike } from '../torch/index.js';

/** Tokenizer files `savePretrained` copies from the folder the model came from. */
export const TOKENIZER_FILES = [
  'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt', 'vocab.json', 'merges.txt', 'added_tokens.json',
  // SentencePiece models: Python's slow tokenizers (T5Tokenizer, MarianTokenizer) read these.
  'spiece.model', 'source.spm', 'target.spm',
] as const;

export interface LoadWeightsOptions {
  /** Replace weights whose shape differs from the checkpoint with new ones (warned) instead of failing. */
  ignoreMismatchedSizes?: boolean;
  /** Names the checkpoint in warnings (the folder or Hub id). */
  source?: string;
}

export interface SavePretrainedOptions {
  /** Largest shard (bytes or "5GB"); default 5GB like transformers. */
  maxShardSize?: number | string;
  /** A tokenizer to save next to the model; otherwise the tokenizer files of the source folder are copied. */
  tokenizer?: { savePretrained(dir: string): unknown } | null;
}

/** Where a parameter sits: the embeddings, transformer layer i, the rest of the body (pooler, final norm), or the head. */
export type ParamPlace = { kind: 'embeddings' } | { kind: 'layer'; index: number } | { kind: 'body' } | { kind: 'head' };

/** Parameter-name prefixes of a family's base model (relative to it): its embeddings and its layer list. */
export interface BodyLayout {
  embeddings: readonly string[];
  layers: string;
}

/** Which config keys and Dropout modules a family's dropout probabilities are. */
export interface DropoutLayout {
  hidden: string;
  attention: string;
  /** The head's dropout key; null when the family's heads have none of their own. */
  classifier: string | null;
  /** Names (relative to the base model) of the Dropout modules applied to attention probabilities. */
  attentionModules: RegExp;
  /** Dropout modules no override touches (BART's activation_dropout, a config key of its own). */
  otherModules?: RegExp;
}

export interface DropoutOverrides {
  hidden?: number | undefined;
  attention?: number | undefined;
  classifier?: number | undefined;
}

function pyList(names: readonly string[]): string {
  return `[${names.map((n) => `'${n}'`).join(', ')}]`;
}

export abstract class PreTrainedModel<C extends PretrainedConfig = PretrainedConfig> extends nn.Module {
  /** transformers class name, written to config.architectures and used in warnings. */
  abstract readonly className: string;
  /** Attribute holding the base model in head models (`bert`, `roberta`, `distilbert`, `transformer`). */
  abstract readonly baseModelPrefix: string;
  /** Folder the weights came from (tokenizer files are copied from it on save). */
  sourceDir: string | null = null;

  constructor(readonly config: C) {
    super();
  }

  abstract forward(input: ForwardInput): object;

  /** Where the base model's embeddings and layers are (parameter-name prefixes relative to the base model). */
  protected abstract readonly bodyLayout: BodyLayout;

  /** The prefix of the base model's parameters: `bert.` in a head model, empty in the base model itself. */
  protected get bodyPrefix(): string {
    return this.baseModelPrefix + '.';
  }

  /** Number of transformer layers. */
  get numLayers(): number {
    return this.config.numHiddenLayers;
  }

  /** The longest input, in tokens with the special ones, that the position table allows. */
  get maxInputTokens(): number {
    return this.config.maxPositionEmbeddings;
  }

  /** Whether `token_type_ids` are one of the model's inputs (transformers' `model_input_names`). */
  get acceptsTokenTypeIds(): boolean {
    return false;
  }

  /** Where the parameter `name` (as `namedParameters()` gives it) sits in the architecture. */
  layerOf(name: string): ParamPlace {
    const prefix = this.bodyPrefix;
    if (!name.startsWith(prefix)) return { kind: 'head' };
    const rest = name.slice(prefix.length);
    if (this.bodyLayout.embeddings.some((e) => rest.startsWith(e))) return { kind: 'embeddings' };
    if (rest.startsWith(this.bodyLayout.layers)) {
      const index = Number(rest.slice(this.bodyLayout.layers.length).split('.')[0]);
      if (Number.isInteger(index)) return { kind: 'layer', index };
    }
    return { kind: 'body' };
  }

  /**
   * The model cut after layer k (embeddings and layers 0..k-1 below, the rest and the head above) for
   * a frozen-layer cache, or null when this architecture and head have no such cut. The kind of cut
   * may depend on which parameters are frozen at the time of the call (BERT's pooler).
   */
  splitAt(k: number): ModelSplit | null {
    void k;
    return null;
  }

  /**
   * Parameters that are never trained, whatever the strategy (names as `namedParameters()` gives them):
   * fixed tables such as DistilBERT's sinusoidal positions, which transformers creates with requires_grad off.
   */
  fixedParameters(): ReadonlySet<string> {
    return new Set();
  }

  /**
   * Weights the last loaded checkpoint did not have (or had in another shape), initialised at random: a new
   * classifier, and the pooler when the checkpoint is a masked LM (BertForMaskedLM saves none).
   */
  newlyInitialized: ReadonlySet<string> = new Set();

  /** The loss of the model's task on its logits: what `forward` computes when given labels. */
  loss(logits: Tensor, labels: TensorLike, opts?: LossOptions): Tensor {
    void logits;
    void labels;
    void opts;
    throw new LenguaError(`${this.className} has no task loss (it is a base model without a head)`);
  }

  /** The family's dropout keys and modules; null when dropout cannot be overridden. */
  protected dropoutLayout(): DropoutLayout | null {
    return null;
  }

  /**
   * Sets dropout probabilities on a built model: its Dropout modules and its config, so the saved
   * config.json says what was trained with. Undefined entries keep the model's value.
   */
  setDropout(p: DropoutOverrides): void {
    if (p.hidden === undefined && p.attention === undefined && p.classifier === undefined) return;
    const layout = this.dropoutLayout();
    if (layout === null) throw new LenguaError(`dropout overrides are not supported for ${this.className}`);
    if (p.classifier !== undefined && layout.classifier === null) throw new LenguaError(`${this.className} has no classifier dropout`, { field: 'classifierDropout' });
    // T5 has one dropout_rate for both: one value, or two equal ones.
    const oneRate = layout.hidden === layout.attention;
    if (oneRate && p.hidden !== undefined && p.attention !== undefined && p.hidden !== p.attention) {
      throw new LenguaError(`${this.className} has one dropout rate (${layout.hidden}) for hidden states and attention: give one value, got ${p.hidden} and ${p.attention}`, { field: 'attentionProbsDropoutProb' });
    }
    const hidden = oneRate ? (p.hidden ?? p.attention) : p.hidden;
    const attention = oneRate ? hidden : p.attention;
    const prefix = this.bodyPrefix;
    for (const [name, m] of this.namedModules()) {
      if (!(m instanceof nn.Dropout)) continue;
      let v: number | undefined;
      const rel = name.slice(prefix.length);
      if (!name.startsWith(prefix)) v = p.classifier;
      else if (layout.otherModules?.test(rel) === true) continue;
      else if (layout.attentionModules.test(rel)) v = attention;
      else v = hidden;
      if (v !== undefined) m.p = v;
    }
    if (hidden !== undefined) this.config.set(layout.hidden, hidden);
    if (attention !== undefined) this.config.set(layout.attention, attention);
    if (p.classifier !== undefined) this.config.set(layout.classifier!, p.classifier);
  }

  /**
   * Checkpoint keys that are expected to be left over and not worth a warning (transformers'
   * `_keys_to_ignore_on_load_unexpected`: a BERT checkpoint's pooler for heads that have none).
   */
  protected ignoredUnexpectedKeys(): RegExp | null {
    return null;
  }

  /** Checkpoint names that are the same tensor as another parameter (skipped on load). */
  protected tiedCheckpointKeys(): string[] {
    return [];
  }
  /** Checkpoint name → parameter name for legacy duplicates. */
  protected checkpointAliases(): Record<string, string> {
    return {};
  }

  protected initOptions(): InitOptions {
    return { std: this.config.initializerRange };
  }

  /** Initialises every weight (or only `only`) as transformers' `_init_weights` does. */
  initWeights(only?: ReadonlySet<string>): void {
    initWeights(this, this.initOptions(), only);
  }

  /** Where the parameters are: where inputs must go. */
  get device(): Device {
    const p = this.parameters()[0];
    return p === undefined ? 'cpu' : p.device;
  }

  /**
   * Copies a checkpoint into the parameters, renaming like transformers; initialises what is missing
   * and warns about missing / unused / mismatched names with transformers' wording.
   */
  loadWeights(ckpt: SafetensorsFile, opts: LoadWeightsOptions = {}): { missing: string[]; unexpected: string[]; mismatched: string[] } {
    const source = opts.source ?? 'the given checkpoint';
    const params = new Map(this.namedParameters());
    const modelShapes = new Map<string, number[]>([...params].map(([k, t]) => [k, t.shape]));
    const checkpointShapes = new Map<string, number[]>([...ckpt.tensors].map(([k, e]) => [k, e.shape]));
    const plan = planWeightLoading({
      modelShapes,
      checkpointShapes,
      basePrefix: this.baseModelPrefix,
      tiedKeys: this.tiedCheckpointKeys(),
      aliases: this.checkpointAliases(),
    });
    const prefix = this.baseModelPrefix + '.';
    for (const m of plan.mismatched) {
      // Only head weights may be replaced; a different body is a different model.
      const isHead = !m.name.startsWith(prefix) && [...modelShapes.keys()].some((k) => k.startsWith(prefix));
      if (!opts.ignoreMismatchedSizes || !isHead) {
        throw new LenguaError(
          `${m.checkpointKey}: the checkpoint has shape [${m.checkpointShape.join(', ')}] but ${this.className} needs [${m.modelShape.join(', ')}]` +
            (isHead ? ' (pass ignoreMismatchedSizes: true, or a matching numLabels, to start a new head)' : ''),
          { file: source, field: m.checkpointKey },
        );
      }
    }
    torch.noGrad(() => {
      for (const [name, key] of plan.assign) {
        const entry = ckpt.tensors.get(key)!;
        const src = entryTensor(entry, key, source);
        params.get(name)!.copy_(src);
        src.dispose();
      }
    });
    const fresh = new Set([...plan.missing, ...plan.mismatched.map((m) => m.name)]);
    if (fresh.size > 0) this.initWeights(fresh);
    this.newlyInitialized = fresh;
    const ignored = this.ignoredUnexpectedKeys();
    const unexpected = ignored === null ? plan.unexpected : plan.unexpected.filter((k) => !ignored.test(k));
    if (unexpected.length > 0) {
      logger.warn(
        `Some weights of the model checkpoint at ${source} were not used when initializing ${this.className}: ${pyList(unexpected)}\n` +
          `- This IS expected if you are initializing ${this.className} from the checkpoint of a model trained on another task or with another architecture.\n` +
          `- This IS NOT expected if you are initializing ${this.className} from the checkpoint of a model that you expect to be exactly identical.`,
      );
    }
    if (plan.missing.length > 0) {
      logger.warn(
        `Some weights of ${this.className} were not initialized from the model checkpoint at ${source} and are newly initialized: ${pyList(plan.missing)}\n` +
          'You should probably TRAIN this model on a down-stream task to be able to use it for predictions and inference.',
      );
    }
    if (plan.mismatched.length > 0) {
      logger.warn(
        `Some weights of ${this.className} were not initialized from the model checkpoint at ${source} and are newly initialized because the shapes did not match:\n` +
          plan.mismatched.map((m) => `- ${m.checkpointKey}: found shape [${m.checkpointShape.join(', ')}] in the checkpoint and [${m.modelShape.join(', ')}] in the model instantiated`).join('\n') +
          '\nYou should probably TRAIN this model on a down-stream task to be able to use it for predictions and inference.',
      );
    }
    return { missing: plan.missing, unexpected, mismatched: plan.mismatched.map((m) => m.name) };
  }

  /** The tensors `savePretrained` writes: every parameter under its transformers name (tied copies omitted). */
  stateTensors(): Map<string, SafetensorsEntry> {
    const out = new Map<string, SafetensorsEntry>();
    for (const [name, t] of this.namedParameters()) {
      const cpu = t.device === 'cpu' ? t : t.to('cpu');
      const f = cpu.dtype === 'float32' ? cpu : cpu.to('float32');
      out.set(name, { dtype: 'F32', shape: [...t.shape], data: f.toBytes() });
      if (f !== t) f.dispose();
      if (cpu !== t && cpu !== f) cpu.dispose();
    }
    return out;
  }

  /** Writes config.json, model.safetensors (sharded above maxShardSize) and the tokenizer files. */
  async savePretrained(dir: string, opts: SavePretrainedOptions = {}): Promise<void> {
    mkdirSync(dir, { recursive: true });
    const cfg = this.config.clone();
    cfg.architectures = [this.className];
    cfg.set('torch_dtype', 'float32');
    cfg.savePretrained(dir);
    saveCheckpoint(dir, this.stateTensors(), opts.maxShardSize !== undefined ? { maxShardSize: opts.maxShardSize } : {});
    // The generation defaults (Marian's bad_words_ids and beams, forced BOS tokens) belong to the model: a
    // fine-tuned copy keeps them.
    if (this.sourceDir !== null && resolve(this.sourceDir) !== resolve(dir) && existsSync(join(this.sourceDir, 'generation_config.json'))) {
      copyFileSync(join(this.sourceDir, 'generation_config.json'), join(dir, 'generation_config.json'));
    }
    let report: unknown = null;
    if (opts.tokenizer) {
      report = await opts.tokenizer.savePretrained(dir);
    } else if (this.sourceDir !== null && resolve(this.sourceDir) !== resolve(dir)) {
      for (const f of TOKENIZER_FILES) {
        const from = join(this.sourceDir, f);
        if (existsSync(from)) copyFileSync(from, join(dir, f));
      }
      // transformers' slow classes read vocab.txt / vocab.json + merges.txt, not tokenizer.json.
      report = completeTokenizerFolder(dir, this.sourceDir);
    }
    const skipped = typeof report === 'object' && report !== null ? (report as { skipped?: unknown }).skipped : null;
    if (typeof skipped === 'string') logger.warn(`${dir}: no slow-tokenizer files (vocab.txt / vocab.json + merges.txt) written: ${skipped}`);
  }
}

/** A checkpoint entry as a float32 tensor (F16 / BF16 / F64 converted for training). */
function entryTensor(entry: SafetensorsEntry, key: string, source: string): Tensor {
  switch (entry.dtype) {
    case 'F32':
      return torch.fromBytes(entry.data, 'float32', entry.shape);
    case 'F16':
      return torch.fromBytes(entry.data, 'float16', entry.shape).to('float32');
    case 'BF16':
      return torch.fromBytes(entry.data, 'bfloat16', entry.shape).to('float32');
    case 'F64':
      return torch.tensor(entryToFloat32(entry), { shape: entry.shape });
    default:
      throw new LenguaError(`weights must be floating point, got ${entry.dtype}`, { file: source, field: key });
  }
}
