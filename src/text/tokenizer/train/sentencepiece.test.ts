// The Unigram trainer against an independent one: SentencePiece's own (Debian's python3-sentencepiece),
// on the same corpus. The two implementations differ (SentencePiece seeds from whole sentences, the
// library's trainer from distinct words; its pruning loss differs), so the vocabularies are compared, not
// matched: most pieces shared, and held-out words cut into about as many pieces.
// Measured on 1 MB of ../shared/data/pretrain-es (8000 pieces): 85% of SentencePiece's pieces shared,
// 1.640 vs 1.643 pieces per held-out word.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer } from '../index.js';
import { saveTrainedTokenizer, trainTokenizer } from './train.js';

const PYTHON = '/usr/bin/python3';
const probe = spawnSync(PYTHON, ['-c', 'import sentencepiece'], { encoding: 'utf8' });
const skip = probe.status === 0 ? false : 'needs python3-sentencepiece (apt-get install -y python3-sentencepiece; scripts/setup.sh with LENGUA_SETUP_TEST_TOOLS=1)';

const SYLLABLES = ['ha', 'can', 'mi', 'tra', 'es', 'pre', 'com', 'lle', 'de', 'ba', 'vi', 'co', 'sal', 'to', 'mer', 'gu'];
// Two-syllable stems: some frequent (the first ones), most rare, as in real text.
const STEMS = SYLLABLES.flatMap((a) => SYLLABLES.map((b) => `${a}${b}`));
const ENDINGS = ['o', 'as', 'a', 'amos', 'an', 'é', 'aste', 'ó', 'aron', 'aba', 'abas', 'ábamos', 'aban', 'ando', 'ado', 'ar', 'ará', 'aría'];
const OTHERS = ['el', 'la', 'los', 'las', 'de', 'que', 'y', 'en', 'con', 'por', 'para', 'una', 'un', 'casa', 'ciudad', 'mañana', 'noche', 'niños', 'amigos', 'mucho', 'nunca', 'siempre'];

/** Sentences from a fixed pseudo-random stream: verbs in many forms between frequent words. */
function sentences(n: number, seed: number): string[] {
  let s = seed;
  const pick = <T>(xs: readonly T[]): T => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return xs[Math.floor(((s % 1000) / 1000) ** 2 * xs.length)]!;
  };
  return Array.from({ length: n }, () => Array.from({ length: 8 }, (_, i) => (i % 3 === 1 ? pick(STEMS) + pick(ENDINGS) : pick(OTHERS))).join(' '));
}

test('Unigram vocabulary close to SentencePiece\'s on the same corpus', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lengua-spm-'));
  const train = join(dir, 'train.txt');
  writeFileSync(train, sentences(3000, 1).join('\n') + '\n');
  const held = sentences(200, 99);
  const vocabSize = 400;
  const script = `
import json, sys, sentencepiece as spm
spm.SentencePieceTrainer.train(input=sys.argv[1], model_prefix=sys.argv[2], model_type='unigram', vocab_size=int(sys.argv[3]),
    character_coverage=1.0, hard_vocab_limit=False, bos_id=-1, eos_id=-1, minloglevel=2, num_threads=1)
sp = spm.SentencePieceProcessor(model_file=sys.argv[2] + '.model')
held = json.loads(sys.stdin.read())
print(json.dumps({'pieces': [sp.id_to_piece(i) for i in range(sp.get_piece_size())], 'held': sum(len(sp.encode(t, out_type=str)) for t in held)}))
`;
  const r = spawnSync(PYTHON, ['-c', script, train, join(dir, 'spm'), String(vocabSize)], { input: JSON.stringify(held), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const spm = JSON.parse(r.stdout) as { pieces: string[]; held: number };
  const out = join(dir, 'ours');
  saveTrainedTokenizer(out, await trainTokenizer([train], { model: 'unigram', vocabSize }));
  const tok = await AutoTokenizer.fromPretrained(out);
  const ours = new Set([...tok.getVocab().keys()].filter((p) => p !== '<unk>'));
  const theirs = spm.pieces.filter((p) => p !== '<unk>');
  const shared = theirs.filter((p) => ours.has(p)).length / theirs.length;
  const words = held.reduce((n, t) => n + t.split(' ').length, 0);
  const oursPpw = held.reduce((n, t) => n + tok.tokenize(t).length, 0) / words;
  const spmPpw = spm.held / words;
  const report = `shared ${(100 * shared).toFixed(1)}%, pieces per word ${oursPpw.toFixed(3)} vs SentencePiece ${spmPpw.toFixed(3)}`;
  // Bounds: at least 35% of SentencePiece's pieces, and within 15% of its pieces per held-out word. This
  // synthetic corpus (few words, seen again and again) favours SentencePiece's sentence-level seeds: here
  // 45.6% shared and 2.43 vs 2.26 pieces per word; on real prose the two agree far more (see the top).
  assert.ok(shared >= 0.35, report);
  assert.ok(Math.abs(oursPpw - spmPpw) / spmPpw <= 0.15, report);
  process.stdout.write(`# ${report}\n`);
});
