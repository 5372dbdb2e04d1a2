/**
 * The small seeded template generator behind the case-study data sets (finance, retail, education; health uses
 * `pick`, `holdOut` and `writeLines`). A template is text with `{slot}` holes; each hole is filled with a value
 * drawn from that slot's list with mulberry32 (the project's seeded PRNG), so the same seed gives byte-identical
 * files. Validation sets are kept apart from training by construction, not by a random split of the rendered
 * rows: `holdOut` puts every k-th template (and every k-th value of a name list) on the validation side, so a
 * validation row is never a re-filled training template.
 */
import { LenguaError } from '../../src/errors.js';
import { writeFileAtomic } from '../../src/util/fs.js';

export type Rand = () => number;
export type Slots = Readonly<Record<string, readonly string[]>>;

export function pick<T>(xs: readonly T[], rand: Rand): T {
  if (xs.length === 0) throw new LenguaError('cannot pick from an empty list');
  return xs[Math.floor(rand() * xs.length)]!;
}

/** Every `every`-th item (the last of each run of `every`) goes to validation, the rest to training. */
export function holdOut<T>(xs: readonly T[], every: number): { train: T[]; validation: T[] } {
  if (!Number.isInteger(every) || every < 2) throw new LenguaError(`must be an integer >= 2, got ${every}`, { field: 'every' });
  return {
    train: xs.filter((_, i) => i % every !== every - 1),
    validation: xs.filter((_, i) => i % every === every - 1),
  };
}

/**
 * Fills each `{name}` of the template from `slots[name]`; a value may hold holes itself (filled in turn, at most
 * 4 levels deep). A hole without a slot list is a bug in the generator.
 */
export function fill(template: string, slots: Slots, rand: Rand, depth = 0): string {
  if (depth > 4) throw new LenguaError(`slot values nest more than 4 levels deep: ${JSON.stringify(template)}`);
  return template.replace(/\{(\w+)\}/gu, (_, name: string) => {
    const values = slots[name];
    if (values === undefined) throw new LenguaError(`template has a {${name}} hole but no slot list of that name: ${JSON.stringify(template)}`, { field: name });
    return fill(pick(values, rand), slots, rand, depth + 1);
  });
}

export interface Template {
  label: string;
  text: string;
}

/**
 * Renders `perTemplate` distinct texts from each template, first letter capitalized, then passed through `style` (fewer when its holes cannot make that many after
 * 50 tries each), skipping any text already in `seen` (shared between the splits, so no text is in both).
 */
/** Each label's templates, every 4th held out for validation (so validation sentences have unseen shapes). */
export function templatesOf(byLabel: Record<string, string[]>): { train: Template[]; validation: Template[] } {
  const train: Template[] = [];
  const validation: Template[] = [];
  for (const [label, texts] of Object.entries(byLabel)) {
    const h = holdOut(texts, 4);
    train.push(...h.train.map((text) => ({ label, text })));
    validation.push(...h.validation.map((text) => ({ label, text })));
  }
  return { train, validation };
}

export function render(templates: readonly Template[], slots: Slots, perTemplate: number, rand: Rand, seen: Set<string>, style: (s: string) => string = (s) => s): Array<{ text: string; label: string }> {
  const rows: Array<{ text: string; label: string }> = [];
  for (const t of templates) {
    let made = 0;
    for (let tries = 0; made < perTemplate && tries < 50 * perTemplate; tries++) {
      const filled = fill(t.text, slots, rand);
      const text = style(filled.charAt(0).toUpperCase() + filled.slice(1));
      const key = text.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      rows.push({ text, label: t.label });
      made++;
    }
  }
  return rows;
}

/** Writes lines (JSON Lines rows, CoNLL lines) atomically, ending with a newline. */
export function writeLines(path: string, lines: readonly string[]): void {
  writeFileAtomic(path, lines.join('\n') + '\n');
}

/** Label → count, for the summary each generator prints. */
export function countLabels(rows: ReadonlyArray<{ label: string }>): string {
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.label, (counts.get(r.label) ?? 0) + 1);
  return [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([l, n]) => `${l} ${n}`).join(', ');
}
