/**
 * A small learnable NER task for the token-classification tests: sentences of 3–5 filler words with either
 * "in X" (X is B-LOC) or "mr X Y" (X Y is B-PER I-PER) at a random place, X and Y drawn from the same
 * filler words, so only the context tells an entity. The tiny golden BERT (char-level WordPiece, uncased)
 * learns it in a few hundred steps.
 */
import { mulberry32 } from '../../data/split.js';

export const NER_LABELS = ['O', 'B-LOC', 'I-LOC', 'B-PER', 'I-PER'];

export function nerTask(n: number, seed: number): Array<{ tokens: string[]; tags: string[] }> {
  const rand = mulberry32(seed);
  const pool = ['bo', 'ka', 'mi', 'te', 'ru', 'sa', 'lo', 'ne'];
  const pick = (): string => pool[Math.floor(rand() * pool.length)]!;
  const out: Array<{ tokens: string[]; tags: string[] }> = [];
  for (let i = 0; i < n; i++) {
    const tokens: string[] = [];
    const tags: string[] = [];
    const len = 3 + Math.floor(rand() * 3);
    for (let j = 0; j < len; j++) {
      tokens.push(pick());
      tags.push('O');
    }
    const at = Math.floor(rand() * (tokens.length + 1));
    if (rand() < 0.5) {
      tokens.splice(at, 0, 'in', pick());
      tags.splice(at, 0, 'O', 'B-LOC');
    } else {
      tokens.splice(at, 0, 'mr', pick(), pick());
      tags.splice(at, 0, 'O', 'B-PER', 'I-PER');
    }
    out.push({ tokens, tags });
  }
  return out;
}

/** The sentences as a CoNLL file (token and tag per line, blank line between sentences). */
export function toConll(sentences: ReadonlyArray<{ tokens: readonly string[]; tags: readonly string[] }>): string {
  return sentences.map((s) => s.tokens.map((t, i) => `${t} ${s.tags[i]}\n`).join('')).join('\n');
}
