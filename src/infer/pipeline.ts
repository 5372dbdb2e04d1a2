/**
 * `pipeline(task, model, options)`: the Hugging Face entry point, on ONNX Runtime. `model` is an exported
 * folder (`onnx/model.onnx`), a Hub id holding one, or a Lengua training folder (exported once into a cache
 * folder, with a note on stderr, by the exporter `import 'lengua'` registers).
 *
 * ```ts
 * const classifier = await pipeline('text-classification', 'runs/tweets-onnx');
 * await classifier(['I love it', 'meh'], { topK: null });
 * await classifier.dispose();
 * ```
 */
import { LenguaError } from '../errors.js';
import type { PipelineOptions } from './base.js';
import { FeatureExtractionPipeline } from './feature-extraction.js';
import { FillMaskPipeline } from './fill-mask.js';
import { TextClassificationPipeline } from './text-classification.js';
import { TokenClassificationPipeline } from './token-classification.js';
import { QuestionAnsweringPipeline } from './question-answering.js';
import { ZeroShotClassificationPipeline } from './zero-shot-classification.js';
import { TextGenerationPipeline, type TextGenerationPipelineOptions } from './generation/index.js';
import { Text2TextGenerationPipeline, TEXT2TEXT_TASKS, type Text2TextTask } from './generation/text2text.js';

/** The tasks, and transformers' aliases for them. */
export const PIPELINE_TASKS = ['text-classification', 'token-classification', 'question-answering', 'fill-mask', 'feature-extraction', 'zero-shot-classification', 'text-generation'] as const;
export const TASK_ALIASES: Record<string, PipelineTask> = { 'sentiment-analysis': 'text-classification', ner: 'token-classification' };
export type PipelineTask = (typeof PIPELINE_TASKS)[number];

export type Callable<P extends { run: (...args: never[]) => unknown }> = P & P['run'];

export interface PipelineTypes {
  'text-classification': Callable<TextClassificationPipeline>;
  'sentiment-analysis': Callable<TextClassificationPipeline>;
  'token-classification': Callable<TokenClassificationPipeline>;
  ner: Callable<TokenClassificationPipeline>;
  'question-answering': Callable<QuestionAnsweringPipeline>;
  'fill-mask': Callable<FillMaskPipeline>;
  'feature-extraction': Callable<FeatureExtractionPipeline>;
  'zero-shot-classification': Callable<ZeroShotClassificationPipeline>;
  'text-generation': Callable<TextGenerationPipeline>;
  'text2text-generation': Callable<Text2TextGenerationPipeline>;
  translation: Callable<Text2TextGenerationPipeline>;
  summarization: Callable<Text2TextGenerationPipeline>;
}

/** The options each task's pipeline takes (text generation has its own, in generation/). */
export type PipelineOptionsFor<T extends keyof PipelineTypes> = T extends 'text-generation' | Text2TextTask ? TextGenerationPipelineOptions : PipelineOptions;

export async function pipeline<T extends keyof PipelineTypes>(task: T, model: string, opts: PipelineOptionsFor<T> = {} as PipelineOptionsFor<T>): Promise<PipelineTypes[T]> {
  const t: string = TASK_ALIASES[task] ?? task;
  switch (t) {
    case 'text-classification':
      return (await TextClassificationPipeline.create(model, opts)) as PipelineTypes[T];
    case 'token-classification':
      return (await TokenClassificationPipeline.create(model, opts)) as PipelineTypes[T];
    case 'question-answering':
      return (await QuestionAnsweringPipeline.create(model, opts)) as PipelineTypes[T];
    case 'fill-mask':
      return (await FillMaskPipeline.create(model, opts)) as PipelineTypes[T];
    case 'feature-extraction':
      return (await FeatureExtractionPipeline.create(model, opts)) as PipelineTypes[T];
    case 'zero-shot-classification':
      return (await ZeroShotClassificationPipeline.create(model, opts)) as PipelineTypes[T];
    case 'text-generation':
      return (await TextGenerationPipeline.create(model, opts as TextGenerationPipelineOptions)) as PipelineTypes[T];
    case 'text2text-generation':
    case 'translation':
    case 'summarization':
      return (await Text2TextGenerationPipeline.create(t, model, opts as TextGenerationPipelineOptions)) as PipelineTypes[T];
    default:
      throw new LenguaError(`unknown task ${JSON.stringify(task)} (one of ${[...PIPELINE_TASKS, ...TEXT2TEXT_TASKS, ...Object.keys(TASK_ALIASES)].join(', ')})`, { field: 'task' });
  }
}
