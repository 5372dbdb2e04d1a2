/**
 * The libtorch engine of `evaluateSeq2Seq`: a T5/BART/Marian folder loaded with `AutoModelForSeq2SeqLM` and its
 * tokenizer, generating with the shared search (`generate`, the key/value cache) as the Seq2SeqTrainer's
 * `generateTexts` does. Sources are encoded as the ONNX worker encodes them (special tokens added, cut at the
 * tokenizer's model_max_length when it names one), so both engines see the same ids. This module loads
 * libtorch; callers that may run without it import it on demand.
 */
import { LenguaError } from '../errors.js';
import { AutoModelForSeq2SeqLM, generateSeq2Seq } from '../models/index.js';
import { AutoTokenizer } from '../text/tokenizer/index.js';
import type { GenerationConfig } from '../generation/index.js';
import type { Seq2SeqGenerator } from './seq2seq.js';

export interface TorchSeq2SeqEngine {
  generator: Seq2SeqGenerator;
  /** The model's class (T5ForConditionalGeneration, ...). */
  className: string;
}

/** Loads the folder and returns a generator applying `config` (resolve it over the model's own defaults first). */
export async function torchSeq2SeqGenerator(dir: string, config: GenerationConfig): Promise<TorchSeq2SeqEngine> {
  if (config.numReturnSequences !== 1) throw new LenguaError('evaluation scores one text per example: numReturnSequences must be 1', { field: 'numReturnSequences' });
  const tok = await AutoTokenizer.fromPretrained(dir);
  const model = await AutoModelForSeq2SeqLM.fromPretrained(dir);
  model.eval();
  const generator: Seq2SeqGenerator = async (sources) => {
    const ids = sources.map((s) => tok.encode(s, { truncation: tok.hasModelMaxLength }).ids);
    const rows = await generateSeq2Seq(model, ids, config);
    return rows.map((r) => ({ text: tok.decode(r.generated, { skipSpecialTokens: true }), ids: r.generated, finishReason: r.finishReason }));
  };
  return { generator, className: model.className };
}
