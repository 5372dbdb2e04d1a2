/**
 * `PreTrainedModel`: what every Lengua model shares with transformers' class of the same name —
 * a config, the base-model prefix, tied weights, loading a checkpoint with HF's renaming rules and
 * warnings, and `savePretrained` writing a folder Python's `from_pretrained` reads.
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as torch from '../torch/index.js';
import { nn } from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { LenguaError } from '../errors.js';
import type { AnyConfig } from '../hub/config.js';
import { planWeightLoading } from '../hub/weights.js';
import { saveCheckpoint } from '../hub/checkpoint.js';
import type { SafetensorsEntry, SafetensorsFile } from '../hub/safetensors.js';
import { entryToFloat32 } from '../hub/safetensors.js';
import { logger } from './logging.js';
import { initWeights, moduleDevice } from './common.js';
import type { ForwardInput, InitOptions } from './common.js';
import type { Device } from '../torch/index.js';

/** Tokenizer files `savePretrained` copies from the folder the model came from. */
export const TOKENIZER_FILES = [
  'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt', 'vocab.json', 'merges.txt', 'added_tokens.json',
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

function pyList(names: readonly string[]): string {
  return `[${names.map((n) => `'${n}'`).join(', ')}]`;
}

export abstract class PreTrainedModel<C extends AnyConfig = AnyConfig> extends nn.Module {
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

  get device(): Device {
    return moduleDevice(this);
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
    if (plan.unexpected.length > 0) {
      logger.warn(
        `Some weights of the model checkpoint at ${source} were not used when initializing ${this.className}: ${pyList(plan.unexpected)}\n` +
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
    return { missing: plan.missing, unexpected: plan.unexpected, mismatched: plan.mismatched.map((m) => m.name) };
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
    if (opts.tokenizer) {
      await opts.tokenizer.savePretrained(dir);
    } else if (this.sourceDir !== null && resolve(this.sourceDir) !== resolve(dir)) {
      for (const f of TOKENIZER_FILES) {
        const from = join(this.sourceDir, f);
        if (existsSync(from)) copyFileSync(from, join(dir, f));
      }
    }
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
