/**
 * The guide's snippets: reads every fenced block of a Markdown file and runs the runnable ones in a working folder
 * set up like a checkout of Lengua, the way a reader runs them (bash blocks with `bash -euo pipefail`, ts blocks
 * saved as a file and run with tsx). Used by guia.test.ts.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { LenguaError } from '../../src/errors.js';

export const REPO = resolve(import.meta.dirname, '../..');

/** What a block's info string may say: a command (bash), a program (ts), or output that is only shown (text). */
export const LANGUAGES = ['bash', 'ts', 'text'] as const;
export type Language = (typeof LANGUAGES)[number];

export interface Block {
  /** The Markdown file, relative to the repository root. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: Language;
  /** Why a bash/ts block is not run (```bash no-run: REASON); undefined for blocks that run and for text. */
  noRun: string | undefined;
  /**
   * ```text salida: output the block just before prints; each of its lines must be a line of that output (ends
   * trimmed), so the guide cannot show output the commands no longer print. Other text blocks are illustrations.
   */
  expectedOutput: boolean;
  code: string;
}

/** The longest block accepted: a guide snippet is a few lines, not a program. */
const MAX_BLOCK_LINES = 60;

/**
 * Every fenced block of `text`, in order. A fence without a language, with an unknown one, an unclosed fence, a
 * `no-run` without a reason or a block longer than MAX_BLOCK_LINES is an error naming the file and line.
 */
export function parseBlocks(file: string, text: string): Block[] {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,})(.*)$/.exec(lines[i] ?? '');
    if (!open) continue;
    const fence = open[1] ?? '```';
    const info = (open[2] ?? '').trim();
    const where = { file, line: i + 1 };
    const m = /^(\S+)(?:\s+(.*))?$/.exec(info);
    if (!m) throw new LenguaError(`a code block without a language: write \`\`\`${LANGUAGES.join(', ```')}`, where);
    const lang = m[1] as Language;
    if (!LANGUAGES.includes(lang)) throw new LenguaError(`unknown block language "${m[1]}" (known: ${LANGUAGES.join(', ')})`, where);
    const rest = (m[2] ?? '').trim();
    let noRun: string | undefined;
    let expectedOutput = false;
    if (lang === 'text' && rest === 'salida') {
      const previous = blocks[blocks.length - 1];
      const between = previous ? lines.slice(previous.line + previous.code.split('\n').length, i) : [];
      if (!previous || previous.lang === 'text' || previous.noRun !== undefined || between.some((l) => l.trim() !== '')) {
        throw new LenguaError('a "text salida" block must follow a block that runs, with only blank lines between', where);
      }
      expectedOutput = true;
    } else if (rest !== '') {
      const skip = /^no-run:\s*(\S.*)$/.exec(rest);
      if (!skip || lang === 'text') {
        throw new LenguaError(`after "${lang}" only "no-run: REASON" may follow (bash and ts blocks; text: "salida"), not "${rest}"`, where);
      }
      noRun = skip[1];
    }
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !(lines[j] ?? '').startsWith(fence)) body.push(lines[j++] ?? '');
    if (j >= lines.length) throw new LenguaError('this code block is never closed', where);
    if (body.length > MAX_BLOCK_LINES) throw new LenguaError(`a block of ${body.length} lines (at most ${MAX_BLOCK_LINES})`, where);
    blocks.push({ file, line: i + 1, lang, noRun, expectedOutput, code: body.join('\n') + '\n' });
    i = j;
  }
  return blocks;
}

export interface BlockResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** The end of a long output, enough to show an error without flooding the test report. */
function tail(s: string, chars = 4000): string {
  return s.length > chars ? `…${s.slice(-chars)}` : s;
}

/**
 * Runs one block in `cwd` (bash: `bash -euo pipefail FILE`; ts: tsx FILE, the file written inside `cwd` so that
 * `import … from 'lengua'` resolves through cwd's package.json). The child leads its own process group, and the
 * whole group is ended afterwards, so a server a failed block left in the background does not outlive it.
 */
export async function runBlock(block: Block, cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<BlockResult> {
  const dir = join(cwd, '.guia');
  mkdirSync(dir, { recursive: true });
  const base = `${block.file.replace(/[^A-Za-z0-9]+/g, '-')}-${block.line}`;
  const path = join(dir, `${base}.${block.lang === 'ts' ? 'ts' : 'sh'}`);
  writeFileSync(path, block.code);
  const [cmd, args] = block.lang === 'ts'
    ? [process.execPath, ['--import', 'tsx', path]]
    : ['bash', ['-euo', 'pipefail', path]];
  const t0 = Date.now();
  return await new Promise<BlockResult>((done, fail) => {
    const child = spawn(cmd, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout = tail(stdout + d, 1 << 20); });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr = tail(stderr + d, 1 << 20); });
    const timer = setTimeout(() => { stderr += `\n[guía] killed after ${timeoutMs} ms`; killGroup(child.pid); }, timeoutMs);
    let exit: { code: number | null; signal: NodeJS.Signals | null } = { code: null, signal: null };
    child.on('error', (err) => { clearTimeout(timer); fail(err); });
    // On exit, not close: a process the block left in the background keeps the pipes open until it is ended.
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      exit = { code, signal };
      killGroup(child.pid);
    });
    child.on('close', () => done({ ...exit, stdout, stderr, ms: Date.now() - t0 }));
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    // The group is already gone: nothing was left running.
  }
}

/** The message of a failed block: where it is in the guide, how it ended and the end of what it printed. */
export function failureMessage(block: Block, r: BlockResult): string {
  const how = r.signal !== null ? `was killed by ${r.signal}` : `exited with code ${r.code}`;
  return `${block.file}:${block.line}: this ${block.lang} block ${how}\n--- block ---\n${block.code}--- stderr ---\n${tail(r.stderr)}` +
    (r.stdout.trim() ? `\n--- stdout ---\n${tail(r.stdout, 2000)}` : '');
}

/** `path` relative to the repository root, as blocks name their file. */
export function repoRelative(path: string): string {
  return relative(REPO, path);
}

/** The lines of `expected` (a ```text salida block) that are not lines of what the block printed, ends trimmed. */
export function missingOutputLines(expected: Block, r: BlockResult): string[] {
  const printed = new Set(`${r.stdout}\n${r.stderr}`.split('\n').map((l) => l.trimEnd()));
  return expected.code.split('\n').map((l) => l.trimEnd()).filter((l) => l !== '' && !printed.has(l));
}
