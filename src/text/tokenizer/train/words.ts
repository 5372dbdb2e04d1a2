/**
 * Counts the words a trainer learns from: each text goes through the normalizer and pre-tokenizer of
 * the tokenizer being trained, run by `@huggingface/tokenizers` itself, so the words are those the
 * trained tokenizer will meet when it encodes. (The Rust library's `train` does the same: normalize,
 * pre-tokenize, count; added tokens in the text are not set apart.)
 */
import { Tokenizer as LibTokenizer } from '@huggingface/tokenizers';
import { LenguaError } from '../../../errors.js';
import type { Pipeline } from './pipeline-spec.js';
import type { LibTokenizerInternals } from '../pipeline.js';

/** Most distinct words a training holds (each costs ~100 bytes of memory and time in every step). */
export const MAX_DISTINCT_WORDS = 5_000_000;

export class WordCounter {
  readonly counts = new Map<string, number>();
  private readonly normalize: (text: string) => string;
  private readonly preTokenize: (text: string) => string[];
  private readonly metaspace: boolean;

  constructor(
    pipeline: Pipeline,
    private readonly maxWords = MAX_DISTINCT_WORDS,
  ) {
    // A one-token model: only the normalizer and pre-tokenizer are used.
    const lib = new LibTokenizer(
      {
        version: '1.0', truncation: null, padding: null, added_tokens: [], normalizer: pipeline.normalizer, pre_tokenizer: pipeline.preTokenizer,
        post_processor: null, decoder: null, model: { type: 'WordLevel', vocab: { '[UNK]': 0 }, unk_token: '[UNK]' },
      },
      {},
    ) as unknown as LibTokenizerInternals;
    const norm = lib.normalizer;
    const pre = lib.pre_tokenizer;
    this.normalize = norm === null ? (t) => t : (t) => norm(t);
    this.preTokenize = pre === null ? (t) => [t] : (t) => pre(t, {});
    this.metaspace = (pipeline.preTokenizer as { type?: string }).type === 'Metaspace';
  }

  /** The words of one text, as the trainer sees them. */
  words(text: string): string[] {
    const pieces = this.preTokenize(this.normalize(text));
    if (!this.metaspace) return pieces;
    // The Rust Metaspace splits before each ▁ (split: true); the JS one returns the text whole.
    const out: string[] = [];
    for (const p of pieces) for (const w of p.split(/(?=\u2581)/)) if (w !== '') out.push(w);
    return out;
  }

  add(text: string): void {
    for (const w of this.words(text)) {
      if (w === '') continue;
      const n = this.counts.get(w);
      if (n === undefined) {
        if (this.counts.size >= this.maxWords) {
          throw new LenguaError(`the corpus has more than ${this.maxWords} distinct words (MAX_DISTINCT_WORDS); train on a sample`);
        }
        this.counts.set(w, 1);
      } else {
        this.counts.set(w, n + 1);
      }
    }
  }
}
