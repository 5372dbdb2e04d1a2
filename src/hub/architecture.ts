/**
 * The pipeline task a model folder serves, read from config.json's `architectures[0]` the way transformers'
 * pipelines read it. The registry (its manifests and cards), the server (which route a folder gets) and
 * `lengua predict` (which output a folder prints) all ask this one function, so a new head is taught once.
 */
export type ArchitectureTask =
  | 'text-classification' | 'token-classification' | 'question-answering' | 'fill-mask' | 'text-generation' | 'text2text-generation' | 'feature-extraction';

/** The task of an architecture name, or null when it names none of the heads Lengua runs. */
export function pipelineTaskOfArchitecture(arch: string | null | undefined): ArchitectureTask | null {
  if (arch === null || arch === undefined) return null;
  if (arch.endsWith('ForSequenceClassification')) return 'text-classification';
  if (arch.endsWith('ForTokenClassification')) return 'token-classification';
  if (arch.endsWith('ForQuestionAnswering')) return 'question-answering';
  if (arch.endsWith('ForMaskedLM')) return 'fill-mask';
  if (arch.endsWith('LMHeadModel') || arch.endsWith('ForCausalLM')) return 'text-generation';
  // Encoder-decoders; MarianMTModel is one although its name ends like a base model's.
  if (arch.endsWith('ForConditionalGeneration') || arch === 'MarianMTModel') return 'text2text-generation';
  if (/^[A-Za-z0-9]+Model$/.test(arch)) return 'feature-extraction';
  return null;
}

/** `architectures[0]` of a parsed config.json, or null. */
export function firstArchitecture(config: Record<string, unknown>): string | null {
  const a = config.architectures;
  return Array.isArray(a) && typeof a[0] === 'string' ? a[0] : null;
}
