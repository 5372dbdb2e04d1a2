import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderPretrainingCard, type PretrainingCard } from './model-card.js';

const card: PretrainingCard = {
  name: 'tiny', license: 'apache-2.0', languages: ['en', 'es'], architecture: 'BertForMaskedLM', modelType: 'bert',
  shape: { layers: 2, hidden: 32, heads: 2, intermediate: 64, positions: 64, parameters: 12345 },
  tokenizer: { kind: 'WordPiece', vocabSize: 100, trainedHere: true },
  sources: [{ name: 'Tweets | with a pipe', license: 'research use', origin: 'data/tweets' }],
  files: [
    { path: 'prose.txt', texts: 10, bytes: 1000, sha256: 'a'.repeat(64) },
    { path: 'tweets.txt', texts: 5, bytes: 200, sha256: 'b'.repeat(64) },
    { path: 'tweets.txt', texts: 5, bytes: 200, sha256: 'b'.repeat(64) },
    { path: 'tweets.txt', texts: 5, bytes: 200, sha256: 'b'.repeat(64) },
  ],
  data: { blockSize: 64, lineByLine: false, trainBlocks: 30, evalBlocks: 2, trainTokens: 1920 },
  masking: { mlmProbability: 0.15, wholeWordMask: false },
  training: { steps: 10 },
  logHistory: [{ step: 10, loss: 4.5 }, { step: 10, eval_loss: 4.4 }],
  evaluation: { eval_loss: 4.4 },
  runtimeSeconds: 12,
  threads: 2,
};

test('the pretraining card lists a file given several times once, with how many times it was read', () => {
  const md = renderPretrainingCard(card);
  const rows = md.split('\n').filter((l) => l.startsWith('| tweets.txt') || l.startsWith('| prose.txt'));
  assert.deepEqual(rows, [
    `| prose.txt | 10 | 1000 | 1 | \`${'a'.repeat(64)}\` |`,
    `| tweets.txt | 5 | 200 | 3 | \`${'b'.repeat(64)}\` |`,
  ]);
  assert.match(md, /Tweets \\\| with a pipe/); // a pipe in a source cannot break the table
});
