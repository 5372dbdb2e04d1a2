/**
 * The output folder of a training run: one writer at a time, and never a finished run replaced by
 * accident. transformers refuses a non-empty `output_dir` unless `overwrite_output_dir`; so does Lengua,
 * and `resumeFromCheckpoint` stays the way to continue. A lock file holding the writer's pid keeps a
 * second run (another terminal, a script started twice) from mixing its checkpoints into the first's.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { LenguaError } from '../errors.js';

/** The lock file in a run folder while a run writes it. */
export const RUN_LOCK = '.lengua.lock';

/** What a run writes into its folder: removed by an overwrite, so nothing of the old run mixes with the new. */
const RUN_FILE = /^(?:(?:config|generation_config|tokenizer|tokenizer_config|special_tokens_map|added_tokens|training_args|trainer_state|train_results|eval_results|all_results|evaluations)\.json|vocab\.txt|vocab\.json|merges\.txt|log\.jsonl|[^/]*\.safetensors|lengua-baseline[^/]*)$/;
const RUN_DIR = /^(?:checkpoint-\d+|eval-[^/]+)$/;

/** The entries of `dir` that make it hold a run: anything but hidden files (the lock, temporaries, .gitkeep). */
function visibleEntries(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => !n.startsWith('.'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    if (code === 'ENOTDIR') throw new LenguaError(`${dir} is a file; the output folder must be a folder`, { field: 'outputDir' });
    throw err;
  }
}

export interface OutputDirOptions {
  /** Replace what an earlier run left (overwriteOutputDir). */
  overwrite?: boolean;
  /** The run continues from a checkpoint in this folder: its files are expected. */
  resume?: boolean;
  /** The flag that allows the overwrite, named in the error (`--overwrite-output-dir` in the CLI). */
  overwriteFlag?: string;
  resumeFlag?: string;
  /** Entries this run wrote itself already (a Trainer's log of an evaluate() before train()). */
  ignore?: readonly string[];
}

/**
 * Refuses an output folder that already holds files unless the run resumes or overwrites. With
 * `overwrite`, removes what an earlier run wrote (checkpoints, weights, config, tokenizer, logs, results,
 * evaluation folders) and leaves any other file alone.
 */
export function prepareOutputDir(dir: string, opts: OutputDirOptions = {}): void {
  const entries = visibleEntries(dir).filter((e) => !(opts.ignore ?? []).includes(e));
  if (entries.length === 0 || opts.resume === true) return;
  if (opts.overwrite !== true) {
    const shown = entries.slice(0, 5).join(', ') + (entries.length > 5 ? `, … (${entries.length} entries)` : '');
    const finished = entries.includes('config.json') || entries.some((e) => e.startsWith('lengua-baseline'));
    throw new LenguaError(
      `output folder ${dir} is not empty (${shown})${finished ? ' and holds a trained model' : ''}. ` +
        `Choose another folder, pass ${opts.overwriteFlag ?? 'overwriteOutputDir: true'} to replace it, or ${opts.resumeFlag ?? 'resumeFromCheckpoint'} to continue its run.`,
      { field: 'outputDir' },
    );
  }
  for (const name of entries) {
    const p = join(dir, name);
    const isDir = statSync(p).isDirectory();
    if (isDir ? RUN_DIR.test(name) : RUN_FILE.test(name)) rmSync(p, { recursive: true, force: true });
  }
}

interface LockOwner {
  pid: number;
  host: string;
  /** Start time of the process (/proc/<pid>/stat field 22), so a reused pid is not taken for the owner. */
  start: string | null;
  command: string;
  since: string;
}

function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses): state is field 3, starttime 22.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function alive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true; // another machine sharing the folder: cannot tell, assume alive
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const start = processStart(owner.pid);
  return owner.start === null || start === null || start === owner.start;
}

function readOwner(file: string): LockOwner | null {
  try {
    const o = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockOwner>;
    if (typeof o.pid !== 'number' || !Number.isSafeInteger(o.pid) || o.pid <= 0 || typeof o.host !== 'string') return null;
    return { pid: o.pid, host: o.host, start: typeof o.start === 'string' ? o.start : null, command: String(o.command ?? 'lengua'), since: String(o.since ?? '?') };
  } catch {
    return null;
  }
}

function mtimeMs(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

/** Locks held by this process, by folder, with a count: the CLI and the Trainer it calls both lock. */
const held = new Map<string, number>();
// An error that ends the process still frees its folders (a SIGKILL leaves a stale lock, taken over later).
process.once('exit', () => {
  for (const key of held.keys()) {
    const file = join(key, RUN_LOCK);
    if (readOwner(file)?.pid === process.pid) rmSync(file, { force: true });
  }
});

export interface RunLock {
  readonly file: string;
  release(): void;
}

/**
 * Takes `dir`'s run lock, or throws a LenguaError naming the run that holds it. A lock whose process is
 * gone (killed, crashed, the machine rebooted) is stale and taken over. Re-entrant within one process.
 */
export function acquireRunLock(dir: string, command = 'lengua train'): RunLock {
  const key = resolve(dir);
  const file = join(key, RUN_LOCK);
  const count = held.get(key) ?? 0;
  if (count === 0) {
    const me: LockOwner = { pid: process.pid, host: hostname(), start: processStart(process.pid), command, since: new Date().toISOString() };
    for (let attempt = 0; ; attempt++) {
      try {
        const fd = openSync(file, 'wx');
        try {
          writeSync(fd, JSON.stringify(me) + '\n');
        } finally {
          closeSync(fd);
        }
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw err;
        const owner = readOwner(file);
        // A lock still being written by its owner reads as nothing for a moment: not stale yet.
        const fresh = owner === null && Date.now() - mtimeMs(file) < 5000;
        if (fresh) throw new LenguaError(`${dir} is in use by another run (${file} was just created). Wait for it or choose another output folder.`, { field: 'outputDir' });
        if (owner !== null && alive(owner)) {
          throw new LenguaError(
            `${dir} is in use by another run: ${owner.command} (pid ${owner.pid} on ${owner.host}, since ${owner.since}). ` +
              `Wait for it to finish or choose another output folder; if no such process runs, delete ${file}.`,
            { field: 'outputDir' },
          );
        }
        // Stale (its process is gone) or unreadable half-written: take it over.
        rmSync(file, { force: true });
      }
    }
  }
  held.set(key, count + 1);
  let released = false;
  return {
    file,
    release(): void {
      if (released) return;
      released = true;
      const n = (held.get(key) ?? 1) - 1;
      if (n > 0) {
        held.set(key, n);
        return;
      }
      held.delete(key);
      const owner = existsSync(file) ? readOwner(file) : null;
      if (owner !== null && owner.pid === process.pid) rmSync(file, { force: true });
    },
  };
}
