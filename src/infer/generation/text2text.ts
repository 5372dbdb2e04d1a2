/**
 * `text2text-generation`, `translation` and `summarization`: an encoder-decoder model (T5 exported by `lengua
 * export`) reads each text as a source and generates its output, as transformers' pipelines of those names
 * (and Transformers.js') return it: `[{generated_text}]`, `[{translation_text}]` or `[{summary_text}]` per
 * input. The worker, the search and the options are text-generation's (decoder start token, beams, forced
 * BOS for a target language, ...). The prompt a T5 checkpoint expects ("translate English to Spanish: ...")
 * is the caller's to write, as in transformers when the config names no task prefix.
 */
import { callable } from '../base.js';
import { TextGenerationPipeline, type TextGenerationCallOptions, type TextGenerationPipelineOptions } from './pipeline.js';

export const TEXT2TEXT_TASKS = ['text2text-generation', 'translation', 'summarization'] as const;
export type Text2TextTask = (typeof TEXT2TEXT_TASKS)[number];

export type Text2TextOutput = { generated_text: string } | { translation_text: string } | { summary_text: string };

const OUTPUT_KEY: Record<Text2TextTask, string> = { 'text2text-generation': 'generated_text', translation: 'translation_text', summarization: 'summary_text' };

export type Text2TextCallOptions = Omit<TextGenerationCallOptions, 'returnFullText'>;

export class Text2TextGenerationPipeline {
  private constructor(
    readonly task: Text2TextTask,
    private readonly generator: TextGenerationPipeline,
  ) {}

  /** Loads an exported encoder-decoder folder (or Hub id) in a worker; the pipeline is callable. */
  static async create(task: Text2TextTask, model: string, opts: TextGenerationPipelineOptions = {}): Promise<Text2TextGenerationPipeline & Text2TextGenerationPipeline['run']> {
    return callable(new Text2TextGenerationPipeline(task, await TextGenerationPipeline.open(model, opts, 'seq2seq')));
  }

  get dir(): string {
    return this.generator.dir;
  }

  /** One text → its outputs (numReturnSequences of them); an array → one such array per text, generated as one batch. */
  run(texts: string, options?: Text2TextCallOptions): Promise<Text2TextOutput[]>;
  run(texts: string[], options?: Text2TextCallOptions): Promise<Text2TextOutput[][]>;
  async run(texts: string | string[], options: Text2TextCallOptions = {}): Promise<Text2TextOutput[] | Text2TextOutput[][]> {
    const single = typeof texts === 'string';
    const list = single ? [texts] : texts;
    const rows = await this.generator.generateRows(list, options);
    const n = rows.length / list.length;
    const key = OUTPUT_KEY[this.task];
    const out = list.map((_, i) => rows.slice(i * n, (i + 1) * n).map((r) => ({ [key]: r.text }) as Text2TextOutput));
    return single ? out[0]! : out;
  }

  /** False once the worker has stopped. */
  get alive(): boolean {
    return this.generator.alive;
  }

  async dispose(): Promise<void> {
    await this.generator.dispose();
  }
}
