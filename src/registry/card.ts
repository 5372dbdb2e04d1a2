/**
 * The model card of a version (README.md): written from its manifest at push time and stored with it, so
 * a pulled or served folder says what it is — model, task, labels, metrics, data fingerprints, files,
 * version and notes. The YAML header is the Hugging Face Hub's card metadata (pipeline_tag, tags).
 *
 * Text that came from users or files (notes, labels, paths, metric names) is escaped: the card may be
 * shown as HTML by a dashboard, and a label must not become markup there.
 */
import { escapeMarkdown } from '../util/markdown.js';
import { CARD_MARKER } from './collect.js';
import type { Manifest } from './manifest.js';

const esc = escapeMarkdown;

/** Notes keep their line breaks (each line escaped). */
function escLines(s: string): string {
  return s.split(/\r?\n/).map(esc).join('  \n');
}

function num(v: number | null | undefined): string {
  if (v === null || v === undefined) return '—';
  return Number.isInteger(v) ? String(v) : Math.abs(v) >= 1000 || Math.abs(v) < 1e-3 ? v.toExponential(3) : v.toFixed(4);
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1 << 20) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1 << 30) return `${(n / (1 << 20)).toFixed(1)} MB`;
  return `${(n / (1 << 30)).toFixed(2)} GB`;
}

/** The metrics shown first in the evaluation table, when present. */
const HEADLINE = ['accuracy', 'macro_f1', 'macro_recall', 'weighted_f1', 'log_loss', 'ece'];

/** The card's Markdown. `m.files` is the version's files without the card itself. */
export function renderCard(m: Omit<Manifest, 'card' | 'mac'>): string {
  const lines: string[] = [];
  const yaml: string[] = ['---', 'tags:', '  - lengua', '  - onnx'];
  if (m.model.task !== null && /^[a-z0-9-]+$/.test(m.model.task)) yaml.push(`pipeline_tag: ${m.model.task}`);
  yaml.push('---');
  lines.push(...yaml, CARD_MARKER, '');
  lines.push(`# ${esc(m.name)} ${esc(m.version)}`, '');
  if (m.notes !== undefined && m.notes !== '') lines.push(escLines(m.notes), '');

  lines.push('## Model', '');
  lines.push(`- Name and version: \`${m.name}@${m.version}\` (pushed ${esc(m.createdAt)})`);
  lines.push(`- Type: ${esc(m.model.modelType ?? 'unknown')}${m.model.architecture !== null ? `, ${esc(m.model.architecture)}` : ''}`);
  lines.push(`- Task: ${esc(m.model.task ?? 'unknown')}`);
  if (m.model.labels !== null) lines.push(`- Labels (${m.model.labels.length}, in id order): ${m.model.labels.map((l, i) => `${i} ${esc(l)}`).join(', ')}`);
  lines.push(`- Pushed from: a${m.source.kind === 'exported' ? 'n exported' : m.source.kind === 'training' ? ' training' : ' baseline'} folder${m.source.exportedOnPush ? ', exported to ONNX on push' : ''}`);
  if (m.export !== undefined) {
    const e = m.export;
    const parts = [e.task !== undefined ? `task ${esc(e.task)}` : '', e.opset !== undefined ? `opset ${e.opset}` : '', e.maxAbsDiff !== undefined ? `max |ONNX Runtime − libtorch| ${num(e.maxAbsDiff)}${e.atol !== undefined ? ` (tolerance ${num(e.atol)})` : ''}` : ''].filter(Boolean);
    if (parts.length > 0) lines.push(`- Export: ${parts.join(', ')}`);
  }
  lines.push(`- ONNX: ${m.onnx.length > 0 ? m.onnx.map((p) => `\`${esc(p)}\``).join(', ') : 'none (pushed without an export)'}`);
  lines.push('');

  lines.push('## Metrics', '');
  if (m.metrics.evaluations.length > 0) {
    const names = [...new Set(m.metrics.evaluations.flatMap((e) => Object.keys(e.metrics)))];
    const shown = [...HEADLINE.filter((k) => names.includes(k)), ...names.filter((k) => !HEADLINE.includes(k))].slice(0, 8);
    lines.push('Evaluations recorded by `lengua evaluate` (each on the split named):', '');
    lines.push(`| split | n | ${shown.map(esc).join(' | ')} | data sha256 | when |`);
    lines.push(`| --- | --- | ${shown.map(() => '---').join(' | ')} | --- | --- |`);
    for (const e of m.metrics.evaluations) {
      lines.push(`| ${esc(e.split)}${e.forced === true ? ' (forced)' : ''} | ${e.n} | ${shown.map((k) => num(e.metrics[k])).join(' | ')} | \`${e.dataSha256.slice(0, 16)}…\` | ${esc(e.time)} |`);
    }
    lines.push('');
  }
  if (m.metrics.training !== null) {
    lines.push('Training results (all_results.json):', '', '| metric | value |', '| --- | --- |');
    for (const [k, v] of Object.entries(m.metrics.training)) lines.push(`| ${esc(k)} | ${num(v)} |`);
    lines.push('');
  }
  if (m.metrics.evaluations.length === 0 && m.metrics.training === null) lines.push('None recorded in the pushed folder.', '');

  lines.push('## Data', '');
  if (m.data.length > 0) {
    lines.push('| role | split | file | sha256 | n |', '| --- | --- | --- | --- | --- |');
    for (const d of m.data) lines.push(`| ${esc(d.role)} | ${esc(d.split ?? '—')} | ${esc(d.path)} | \`${d.sha256}\` | ${d.n ?? '—'} |`);
  } else {
    lines.push('No data fingerprints recorded (push with `--data FILE` to record the training data).');
  }
  lines.push('');

  const args = m.training.args;
  if (args !== null && typeof args === 'object' && !Array.isArray(args)) {
    const keys = ['learning_rate', 'num_train_epochs', 'per_device_train_batch_size', 'weight_decay', 'warmup_ratio', 'seed'];
    const shown = keys.filter((k) => args[k] !== undefined && args[k] !== null && typeof args[k] !== 'object');
    if (shown.length > 0) {
      lines.push('## Training', '', shown.map((k) => `${k} ${esc(String(args[k]))}`).join(', ') + ' (all arguments: the manifest, training_args.json).', '');
    }
  }

  lines.push('## Files', '', '| path | size | sha256 |', '| --- | --- | --- |');
  for (const f of m.files) lines.push(`| ${esc(f.path)} | ${bytes(f.size)} | \`${f.sha256}\` |`);
  lines.push('', `This card (README.md) is written by the Lengua model registry from the version's manifest. \`lengua registry verify ${m.name}@${m.version}\` re-hashes every file.`, '');
  return lines.join('\n');
}
