/**
 * `lengua assist --docs DIR [--question Q ...]`: answers questions over a folder of documents, offline,
 * citing the file, lines and passage each answer comes from. Retrieval is BM25 (no model needed), fused with
 * dense retrieval when `--encoder` names a sentence encoder; the answer comes from an extractive QA model
 * (`--qa`), a text2text model (`--generator`), or else the best-matching sentence.
 *
 * With no --question, questions are read from stdin, one per line (an interactive loop on a terminal).
 * A model given as a training folder (no onnx/ files) is exported to a temporary folder first, with a note
 * on stderr, and that folder is removed at the end.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { LenguaError } from '../errors.js';
import { exportToOnnx, type ExportTask } from '../export/index.js';
import { ONNX_FILES } from '../infer/index.js';
import {
  Assistant,
  ASK_LIMITS,
  loadEncoder,
  loadExtractiveReader,
  loadGenerativeReader,
  DOCUMENT_LIMITS,
  type AssistantAnswer,
  type Embedder,
  type Reader,
} from '../assist/index.js';
import { readInputTexts } from './predict-input.js';
import { intFlag } from './options.js';

interface AssistFlags {
  docs: string;
  question?: string[];
  qa?: string;
  encoder?: string;
  generator?: string;
  topK: string;
  json?: boolean;
  jsonlField: string;
  passageWords: string;
  maxFiles: string;
  maxFileMb: string;
  maxTotalMb: string;
  threads?: string;
}

// The file a folder's export must hold for each model role; without it a folder is a training folder.
const ROLE_FILES: Record<'encoder' | 'qa' | 'generator', { file: string; task: ExportTask }> = {
  encoder: { file: ONNX_FILES.fp32, task: 'feature-extraction' },
  qa: { file: ONNX_FILES.fp32, task: 'question-answering' },
  generator: { file: 'onnx/decoder_model_merged.onnx', task: 'text2text-generation' },
};

/**
 * The folder ONNX Runtime reads for `model`: itself when it is an export (or a Hub id), else its export into
 * a fresh temporary folder (listed in `temps` for removal), said on stderr.
 */
async function onnxFolder(model: string, role: keyof typeof ROLE_FILES, temps: string[]): Promise<string> {
  const { file, task } = ROLE_FILES[role];
  if (!existsSync(model) || existsSync(join(model, file)) || !existsSync(join(model, 'config.json'))) return model;
  const tmp = mkdtempSync(join(tmpdir(), 'lengua-assist-'));
  temps.push(tmp);
  const out = join(tmp, 'model');
  process.stderr.write(`lengua assist: --${role} ${model} has no ${file}; exporting it for ${task} to ${out} (removed at the end; \`lengua export --task ${task}\` saves this step)\n`);
  await exportToOnnx(model, out, { task });
  return out;
}

/** One line of context around the answer: the passage with whitespace collapsed, cut to about `width` characters. */
export function excerpt(a: AssistantAnswer, width = 300): string {
  const c = a.citation!;
  const text = c.passage.text;
  const at = c.start - c.passage.start;
  const from = Math.max(0, Math.min(at - Math.floor((width - (c.end - c.start)) / 2), text.length - width));
  const to = Math.min(text.length, from + width);
  return `${from > 0 ? '…' : ''}${text.slice(from, to).replace(/\s+/g, ' ').trim()}${to < text.length ? '…' : ''}`;
}

function format(a: AssistantAnswer): string {
  if (!a.found) return `${a.answer}\n`;
  const c = a.citation!;
  const lines = c.lines[0] === c.lines[1] ? `${c.lines[0]}` : `${c.lines[0]}-${c.lines[1]}`;
  return `${a.answer}\nsource: ${c.file}:${lines}\n  ${excerpt(a)}\n`;
}

export function register(program: Command): void {
  program
    .command('assist')
    .description('answer questions over a folder of documents (.txt, .md, .jsonl), citing the passage used; works offline, BM25 needs no model')
    .requiredOption('--docs <dir>', 'the folder of documents (read recursively)')
    .option('--question <text...>', 'one or several questions (default: one per line from stdin)')
    .option('--qa <model>', 'an extractive question-answering model: an export folder (or a training folder, exported first)')
    .option('--generator <model>', 'a text2text model (T5) that writes the answer from the best passage: an export folder or a training folder')
    .option('--encoder <model>', 'a sentence encoder (mean-pooled) for dense retrieval, fused with BM25')
    .option('--top-k <n>', 'passages retrieved and read', '3')
    .option('--json', 'one JSON object per question: answer, score, citation, retrieved passages')
    .option('--jsonl-field <name>', 'the field of .jsonl records that holds the text', 'text')
    .option('--passage-words <n>', 'words per passage at most (paragraphs merged or cut to it)', '100')
    .option('--max-files <n>', 'document files at most', String(DOCUMENT_LIMITS.maxFiles))
    .option('--max-file-mb <n>', 'megabytes per file at most', String(DOCUMENT_LIMITS.maxFileBytes / 2 ** 20))
    .option('--max-total-mb <n>', 'megabytes of documents in all at most', String(DOCUMENT_LIMITS.maxTotalBytes / 2 ** 20))
    .option('--threads <n>', 'ONNX Runtime threads per model (default $LENGUA_NUM_THREADS, else 2)')
    .action(async (flags: AssistFlags) => {
      if (flags.qa !== undefined && flags.generator !== undefined) throw new LenguaError('give --qa or --generator, not both: one reader answers', { field: 'qa' });
      const topK = intFlag(flags.topK, '--top-k', 1, ASK_LIMITS.topK);
      const passageWords = intFlag(flags.passageWords, '--passage-words', 1, 10_000);
      const numThreads = flags.threads !== undefined ? { numThreads: intFlag(flags.threads, '--threads', 1, 1024) } : {};
      const limits = {
        maxFiles: intFlag(flags.maxFiles, '--max-files', 1, 10_000_000),
        maxFileBytes: intFlag(flags.maxFileMb, '--max-file-mb', 1, 1 << 20) * 2 ** 20,
        maxTotalBytes: intFlag(flags.maxTotalMb, '--max-total-mb', 1, 1 << 20) * 2 ** 20,
      };
      const temps: string[] = [];
      let embedder: Embedder | undefined;
      let reader: Reader | undefined;
      let assistant: Assistant | undefined;
      try {
        if (flags.encoder !== undefined) embedder = await loadEncoder(await onnxFolder(flags.encoder, 'encoder', temps), numThreads);
        if (flags.qa !== undefined) reader = await loadExtractiveReader(await onnxFolder(flags.qa, 'qa', temps), numThreads);
        if (flags.generator !== undefined) reader = await loadGenerativeReader(await onnxFolder(flags.generator, 'generator', temps), numThreads);
        assistant = await Assistant.fromFolder(flags.docs, {
          ...limits,
          jsonlField: flags.jsonlField,
          targetWords: passageWords,
          overlapWords: Math.min(15, Math.floor(passageWords / 5)),
          ...(embedder !== undefined ? { embedder } : {}),
          ...(reader !== undefined ? { reader } : {}),
        });
        const answer = async (q: string): Promise<void> => {
          const a = await assistant!.ask(q, { topK });
          process.stdout.write(flags.json === true ? `${JSON.stringify(a)}\n` : format(a) + (flags.question === undefined || flags.question.length > 1 ? '\n' : ''));
        };
        if (flags.question !== undefined) {
          for (const q of flags.question) await answer(q);
          return;
        }
        const tty = process.stdin.isTTY === true;
        if (tty) process.stderr.write(`${assistant.passages.length} passages from ${flags.docs}. Ask a question (Ctrl-D to end).\n`);
        const input = readInputTexts(process.stdin, { format: 'text', maxRecordBytes: ASK_LIMITS.questionChars * 4, name: 'stdin' });
        for (;;) {
          if (tty) process.stderr.write('? ');
          const next = await input.next();
          if (next.done === true) break;
          try {
            await answer(next.value.text);
          } catch (err) {
            // At a terminal a bad question is said and the loop goes on; piped, it stops with its line.
            if (!(err instanceof LenguaError)) throw err;
            if (!tty) throw new LenguaError(err.message, { file: 'stdin', line: next.value.line });
            process.stderr.write(`lengua: ${err.message}\n`);
          }
        }
      } finally {
        await assistant?.dispose();
        if (assistant === undefined) {
          await reader?.dispose();
          await embedder?.dispose();
        }
        for (const t of temps) rmSync(t, { recursive: true, force: true });
      }
    });
}
