/**
 * Incremental detokenization for streaming, as transformers' TextStreamer does it: decode every token of the
 * row so far and emit what was added, holding back text that ends in an unfinished UTF-8 sequence (U+FFFD)
 * until the next token completes it.
 */
import type { PreTrainedTokenizer } from '../../text/index.js';

export class TextStreamDecoder {
  private readonly tokens: number[] = [];
  private printed = 0;
  constructor(private readonly tok: PreTrainedTokenizer) {}

  /** Characters handed out so far. */
  get printedLength(): number {
    return this.printed;
  }

  /** Adds a token; returns the new text it made printable ('' when none). */
  push(token: number): string {
    this.tokens.push(token);
    const text = this.tok.decode(this.tokens, { skipSpecialTokens: true });
    if (text.endsWith('\uFFFD')) return '';
    const out = text.slice(this.printed);
    this.printed = text.length;
    return out;
  }
}
