/**
 * The model card (README.md) of a pretrained masked LM, as `Trainer.create_model_card` writes one: Hub metadata
 * (YAML header: license, languages, tags, pipeline_tag fill-mask), the architecture, the tokenizer, every corpus
 * source with its license, how it was trained, the loss curve and the evaluation. The card states facts the run
 * recorded; it has no free-form claims.
 *
 * Text that came from users or files (source names, licenses, file names) is escaped: the card may be rendered
 * as HTML (the Hub does), and a source name must not become markup there.
 */
import { escapeMarkdown } from '../util/markdown.js';

export interface CorpusSource {
  /** What the text is (e.g. "Moby Dick, Herman Melville (1851)"). */
  name: string;
  /** Its license or status (e.g. "public domain"). */
  license: string;
  /** Where it came from (a URL, an npm package, a path). */
  origin?: string;
}

export interface CorpusFile {
  path: string;
  texts: number;
  bytes: number;
  sha256: string;
}

export interface PretrainingCard {
  name: string;
  /** License of the weights (Hub metadata). */
  license: string;
  languages: string[];
  architecture: string;
  modelType: string;
  /** Layers, hidden size, heads, FFN size, positions, parameters. */
  shape: { layers: number; hidden: number; heads: number; intermediate: number; positions: number; parameters: number };
  tokenizer: { kind: string; vocabSize: number; trainedHere: boolean };
  sources: CorpusSource[];
  files: CorpusFile[];
  /** Tokens per training block, blocks in training and evaluation. */
  data: { blockSize: number; lineByLine: boolean; trainBlocks: number; evalBlocks: number; trainTokens: number };
  masking: { mlmProbability: number; wholeWordMask: boolean };
  training: Record<string, string | number | boolean>;
  /** trainer log entries (loss, eval_loss per step). */
  logHistory: ReadonlyArray<Record<string, number>>;
  evaluation: Record<string, number> | null;
  runtimeSeconds: number;
  threads: number;
  /** The command that reproduces the model. */
  command?: string;
}

function num(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  return Number.isInteger(v) ? String(v) : Math.abs(v) >= 1000 || Math.abs(v) < 1e-3 ? v.toExponential(3) : v.toFixed(4);
}

/** YAML scalars are written quoted so a license like "cc-by-4.0" or a language code stays a string. */
function yamlString(s: string): string {
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  return JSON.stringify(s.replace(/[\0-\x1f\x7f]/g, ''));
}

/** At most `n` entries, evenly spread, the last always kept (the curve's end matters most). */
function sample<T>(xs: readonly T[], n: number): T[] {
  if (xs.length <= n) return [...xs];
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(xs[Math.round((i * (xs.length - 1)) / (n - 1))]!);
  return out;
}

export function renderPretrainingCard(c: PretrainingCard): string {
  const e = escapeMarkdown;
  const L: string[] = ['---', `license: ${yamlString(c.license)}`];
  if (c.languages.length > 0) L.push('language:', ...c.languages.map((l) => `  - ${yamlString(l)}`));
  L.push('library_name: transformers', 'pipeline_tag: fill-mask', 'tags:', '  - lengua', '  - masked-lm', '---', '');
  L.push(`# ${e(c.name)}`, '');
  L.push(
    `A small ${e(c.modelType)} masked language model pretrained from random weights with \`lengua pretrain\`. ` +
      'It loads in Python `transformers` (`AutoModelForMaskedLM.from_pretrained`) and in Lengua, and is meant to be fine-tuned (`lengua train --model <this folder>`).',
    '',
  );

  const s = c.shape;
  L.push('## Model', '');
  L.push(`- Architecture: ${e(c.architecture)} (${e(c.modelType)}), ${s.layers} layers, hidden size ${s.hidden}, ${s.heads} attention heads, feed-forward ${s.intermediate}, ${s.positions} positions`);
  L.push(`- Parameters: ${s.parameters.toLocaleString('en-US')}`);
  L.push(`- Tokenizer: ${e(c.tokenizer.kind)}, ${c.tokenizer.vocabSize} tokens, ${c.tokenizer.trainedHere ? 'trained on the training corpus by this run' : 'given to the run'}`, '');

  L.push('## Corpus', '');
  if (c.sources.length > 0) {
    L.push('| source | license | origin |', '| --- | --- | --- |');
    for (const src of c.sources) L.push(`| ${e(src.name)} | ${e(src.license)} | ${e(src.origin ?? '—')} |`);
    L.push('');
  }
  // A file given several times (to weigh a source up) is one row with the number of passes.
  const passes = new Map<string, { file: CorpusFile; times: number }>();
  for (const f of c.files) {
    const seen = passes.get(f.path);
    if (seen === undefined) passes.set(f.path, { file: f, times: 1 });
    else seen.times += 1;
  }
  L.push('Files read (one text per line; JSONL/CSV by their text column):', '', '| file | texts | bytes | times read | sha256 |', '| --- | --- | --- | --- | --- |');
  for (const { file: f, times } of passes.values()) L.push(`| ${e(f.path)} | ${f.texts} | ${f.bytes} | ${times} | \`${f.sha256}\` |`);
  const d = c.data;
  L.push('', `${d.lineByLine ? 'One text per example, truncated to' : 'Texts concatenated and cut into blocks of'} ${d.blockSize} tokens: ${d.trainBlocks} training examples (${d.trainTokens.toLocaleString('en-US')} tokens), ${d.evalBlocks} evaluation examples.`, '');

  L.push('## Training', '');
  L.push(`Masked-LM objective (\`DataCollatorFor${c.masking.wholeWordMask ? 'WholeWordMask' : 'LanguageModeling'}\` semantics): ${Math.round(c.masking.mlmProbability * 100)} % of the tokens chosen${c.masking.wholeWordMask ? ' as whole words' : ''}, 80 % of them replaced by the mask token, 10 % by a random token, 10 % left as they are.`, '');
  L.push('| argument | value |', '| --- | --- |');
  for (const [k, v] of Object.entries(c.training)) L.push(`| ${e(k)} | ${e(String(v))} |`);
  L.push('', `Trained in ${(c.runtimeSeconds / 60).toFixed(1)} min on ${c.threads} CPU thread(s).`, '');
  if (c.command !== undefined) L.push('Reproduce:', '', '```sh', c.command.replace(/```/g, ''), '```', '');

  const losses = c.logHistory.filter((h) => h.loss !== undefined && h.step !== undefined);
  const evals = c.logHistory.filter((h) => h.eval_loss !== undefined && h.step !== undefined);
  if (losses.length > 0 || evals.length > 0) {
    L.push('### Loss curve', '', '| step | epoch | training loss | eval loss | eval perplexity | masked accuracy |', '| --- | --- | --- | --- | --- | --- |');
    const byStep = new Map<number, { train?: Record<string, number>; ev?: Record<string, number> }>();
    for (const h of sample(losses, 12)) byStep.set(h.step!, { ...byStep.get(h.step!), train: h });
    for (const h of evals) byStep.set(h.step!, { ...byStep.get(h.step!), ev: h });
    for (const [step, r] of [...byStep].sort((a, b) => a[0] - b[0])) {
      L.push(`| ${step} | ${num(r.train?.epoch ?? r.ev?.epoch)} | ${num(r.train?.loss)} | ${num(r.ev?.eval_loss)} | ${num(r.ev?.eval_perplexity)} | ${num(r.ev?.eval_accuracy)} |`);
    }
    L.push('');
  }

  L.push('## Evaluation', '');
  if (c.evaluation !== null) {
    const m = c.evaluation;
    L.push(`On the held-out evaluation texts (the same masks at every evaluation): loss ${num(m.eval_loss)}, perplexity ${num(m.eval_perplexity)}, masked-token accuracy ${num(m.eval_accuracy)} over ${num(m.eval_masked_tokens)} masked tokens.`, '');
  } else {
    L.push('No evaluation set was given.', '');
  }
  L.push('## Limitations', '', `A model of ${s.parameters.toLocaleString('en-US')} parameters trained for minutes on a few MB of text knows far less than a Hub checkpoint; it exists so that fine-tuning starts from something better than random weights where no Hub model can be downloaded. Compare it with a baseline before relying on it.`, '');
  return L.join('\n');
}
