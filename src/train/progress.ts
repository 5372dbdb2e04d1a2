/**
 * Training progress: on a terminal, one redrawn bar (step, epoch, loss, learning rate, examples/s,
 * ETA); elsewhere (CI logs, pipes), a plain line per logging step. A bar is ~40 lines of code, so
 * no dependency: the libraries available redraw on their own timers, which fights our log lines.
 */
export interface ProgressOptions {
  stream?: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean; columns?: number };
  quiet?: boolean;
}

export interface ProgressUpdate {
  step: number;
  epoch: number;
  loss?: number;
  learningRate?: number;
}

function fmtTime(sec: number): string {
  if (!Number.isFinite(sec) || sec < 0) return '--:--';
  const s = Math.round(sec);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}` : `${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}`;
}

export function fmtNum(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return '-';
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1e-3 && a < 1e4 ? x.toFixed(4).replace(/\.?0+$/, '') : x.toExponential(2);
}

export class Progress {
  private readonly stream: NonNullable<ProgressOptions['stream']>;
  private readonly tty: boolean;
  private readonly quiet: boolean;
  private startTime = 0;
  private startStep = 0;
  private total = 0;
  private examples = 0;
  private lastDraw = 0;
  private last: ProgressUpdate = { step: 0, epoch: 0 };
  private drawn = false;
  /** Between start() and finish(): the bar is shown (after finish, messages are plain lines). */
  private active = false;

  constructor(opts: ProgressOptions = {}) {
    this.stream = opts.stream ?? process.stderr;
    this.tty = this.stream.isTTY === true;
    this.quiet = opts.quiet ?? false;
  }

  start(totalSteps: number, startStep: number): void {
    this.total = totalSteps;
    this.startStep = startStep;
    this.startTime = performance.now();
    this.examples = 0;
    this.last = { step: startStep, epoch: 0 };
    this.active = true;
  }

  /** After each optimizer step; `examples` counts the examples that step consumed. */
  step(u: ProgressUpdate, examples: number): void {
    this.examples += examples;
    this.last = { ...this.last, ...u };
    if (this.quiet || !this.tty || !this.active) return;
    const now = performance.now();
    if (now - this.lastDraw < 100 && u.step < this.total) return;
    this.lastDraw = now;
    this.draw();
  }

  /** A logged entry: plain line when not on a terminal; on a terminal the bar already shows it. */
  log(entry: Record<string, number>): void {
    if (this.quiet) return;
    const parts = Object.entries(entry).map(([k, v]) => `${k}=${k === 'step' ? v : fmtNum(v)}`);
    if (this.tty && this.active) {
      if (entry.loss !== undefined && Object.keys(entry).every((k) => ['loss', 'learning_rate', 'grad_norm', 'epoch', 'step'].includes(k))) return;
      this.clear();
      this.stream.write(parts.join('  ') + '\n');
      this.draw();
    } else if (this.tty) {
      this.stream.write(parts.join('  ') + '\n');
    } else {
      this.stream.write(`[train] ${this.status()}  ${parts.filter((p) => !/^(step|epoch)=/.test(p)).join('  ')}\n`);
    }
  }

  /** A free-form message (checkpoint saved, early stop, ...). */
  note(msg: string): void {
    if (this.quiet) return;
    const bar = this.tty && this.active;
    if (bar) this.clear();
    this.stream.write(msg + '\n');
    if (bar) this.draw();
  }

  finish(): void {
    const wasActive = this.active;
    this.active = false;
    if (this.quiet || !wasActive) return;
    if (this.tty && this.drawn) {
      this.draw();
      this.stream.write('\n');
      this.drawn = false;
    }
  }

  private rates(): { exPerSec: number; eta: number } {
    const sec = (performance.now() - this.startTime) / 1000;
    const done = this.last.step - this.startStep;
    const stepsPerSec = sec > 0 ? done / sec : 0;
    return { exPerSec: sec > 0 ? this.examples / sec : 0, eta: stepsPerSec > 0 ? (this.total - this.last.step) / stepsPerSec : NaN };
  }

  private status(): string {
    const { exPerSec, eta } = this.rates();
    return (
      `step ${this.last.step}/${this.total}  epoch ${this.last.epoch.toFixed(2)}  loss ${fmtNum(this.last.loss)}  ` +
      `lr ${fmtNum(this.last.learningRate)}  ${exPerSec.toFixed(1)} ex/s  ETA ${fmtTime(eta)}`
    );
  }

  private clear(): void {
    if (this.drawn) this.stream.write('\r\x1b[2K');
  }

  private draw(): void {
    const width = 24;
    const frac = this.total > 0 ? Math.min(1, this.last.step / this.total) : 0;
    const full = Math.round(frac * width);
    const bar = '█'.repeat(full) + '░'.repeat(width - full);
    let line = `${bar} ${(frac * 100).toFixed(0).padStart(3)}%  ${this.status()}`;
    const cols = (this.stream as { columns?: number }).columns;
    if (cols !== undefined && cols > 10 && line.length > cols - 1) line = line.slice(0, cols - 1);
    this.stream.write('\r\x1b[2K' + line);
    this.drawn = true;
  }
}
