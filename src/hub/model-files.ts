/**
 * The one door through which Lengua reads a file out of a model folder (config.json, tokenizer files,
 * weights, index, checkpoint state, ...).
 *
 * A model folder comes from strangers (the Hub, a shared drive, a tarball). A symlink in it such as
 * `vocab.txt -> /etc/passwd` or `model.safetensors -> ~/.ssh/id_rsa` would make a loader read, tokenize,
 * copy or echo in an error message a file the folder's author chose. So a file whose real path lies
 * outside the real path of the folder is refused. The folder itself may be a link (it is compared by
 * its real path). The one layout where links must leave the folder is the Hugging Face cache, where
 * `models--org--name/snapshots/<commit>/<file>` links to `../../blobs/<hash>`: there the limit is the
 * cache repo folder `models--org--name` (see cache.ts).
 *
 * Files are opened without blocking (a FIFO would hang a plain open) and must be regular files; the
 * opened descriptor is checked to be the file whose path was checked, and every read is bounded by a
 * limit and by the file's real size, never by a size the file claims.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readlinkSync, readSync, realpathSync, statSync, type Stats } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { LenguaError } from '../errors.js';
import { describeSystemError, isSystemError, writeFileAtomic } from '../util/fs.js';
import { cacheRepoOfSnapshot } from './cache.js';

/** Longest text a model file may decode to: V8 strings stop near 2^29 characters (ERR_STRING_TOO_LONG). */
export const MAX_MODEL_TEXT_BYTES = 500_000_000;

/** A model-folder file opened for reading; close it with `closeModelFile`. */
export interface ModelFile {
  /** `<dir>/<name>` as given (what error messages name). */
  path: string;
  /** Where it really is (symlinks resolved). */
  real: string;
  fd: number;
  /** Size in bytes, from the opened descriptor. */
  size: number;
}

function systemError(path: string, err: unknown): Error {
  if (!isSystemError(err)) return err as Error;
  return new LenguaError(`cannot read: ${describeSystemError(err)}`, { file: path }, { cause: err });
}

/** The folder that a model folder's files must stay in: its real path, or the cache repo folder for a snapshot. */
export function modelFolderRoot(dir: string): string {
  let real: string;
  try {
    real = realpathSync(dir);
  } catch (err) {
    throw systemError(dir, err);
  }
  return cacheRepoOfSnapshot(real) ?? real;
}

function checkName(dir: string, name: string): void {
  const ok = name.length > 0 && !isAbsolute(name) && !name.includes('\0') && name.split(/[\\/]/).every((s) => s !== '' && s !== '.' && s !== '..');
  if (!ok) throw new LenguaError(`invalid file name ${JSON.stringify(name)}: must be a relative path inside the model folder`, { file: dir });
}

function inside(root: string, real: string): boolean {
  const rel = relative(root, real);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

/** What a refused path points at, for the message: the link's own target when it is a link. */
function linkTarget(path: string): string | undefined {
  try {
    return lstatSync(path).isSymbolicLink() ? readlinkSync(path) : undefined;
  } catch {
    return undefined;
  }
}

function refusal(path: string, real: string, root: string): LenguaError {
  const target = linkTarget(path);
  const points = target !== undefined && target !== real ? `links to ${target} (${real})` : `links to ${real}`;
  return new LenguaError(
    `${points}, outside the model folder ${root}: links out of a model folder are refused, so that a model cannot make Lengua read or copy other files`,
    { file: path },
  );
}

/**
 * The files Lengua reads from, or copies out of, a model folder (`save_pretrained` copies the tokenizer
 * files along), checked by `checkModelFolder`; `*.safetensors` files are checked too.
 */
export const MODEL_FOLDER_FILES: readonly string[] = [
  'config.json',
  'generation_config.json',
  'model.safetensors',
  'model.safetensors.index.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
  'vocab.txt',
  'vocab.json',
  'merges.txt',
  // SentencePiece models (T5's spiece.model, Marian's source.spm/target.spm, ...): copied along and checked for links.
  'spiece.model',
  'source.spm',
  'target.spm',
  'sentencepiece.bpe.model',
  'tokenizer.model',
];

/**
 * Refuses a model folder in which any of `names` (default: MODEL_FOLDER_FILES and every `*.safetensors`)
 * links out of the folder, even a file this load would not read: a later save or copy would carry it.
 * Dangling links count as absent.
 */
export function checkModelFolder(dir: string, names?: readonly string[]): void {
  let list = names;
  if (list === undefined) {
    let entries: string[] = [];
    try {
      entries = readdirSync(dir);
    } catch (err) {
      throw systemError(dir, err);
    }
    list = [...MODEL_FOLDER_FILES, ...entries.filter((f) => f.endsWith('.safetensors') && !MODEL_FOLDER_FILES.includes(f))];
  }
  let root: string | undefined;
  for (const name of list) {
    const path = join(dir, name);
    try {
      if (!lstatSync(path).isSymbolicLink()) continue; // a plain entry of the folder is inside it
    } catch {
      continue;
    }
    let real: string;
    try {
      real = realpathSync(path);
    } catch {
      continue; // dangling: absent
    }
    root ??= modelFolderRoot(dir);
    if (!inside(root, real)) throw refusal(path, real, root);
  }
}

/** True when `<dir>/<name>` exists (a dangling link does not). Says nothing about whether it may be read. */
export function modelFileExists(dir: string, name: string): boolean {
  try {
    statSync(join(dir, name));
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks `<dir>/<name>` and returns its real path, or undefined when it does not exist. Throws a
 * LenguaError when it resolves outside the model folder or is not a regular file.
 */
export function modelFilePath(dir: string, name: string): string | undefined {
  const f = openModelFile(dir, name);
  if (f === undefined) return undefined;
  closeModelFile(f);
  return f.real;
}

/**
 * Opens `<dir>/<name>` for reading after checking where it really is; undefined when it does not exist
 * (a dangling link included). The caller closes it (`closeModelFile`), or uses `withModelFile`.
 */
export function openModelFile(dir: string, name: string): ModelFile | undefined {
  checkName(dir, name);
  const path = join(dir, name);
  let st: Stats;
  let real: string;
  try {
    st = statSync(path);
    real = realpathSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw systemError(path, err);
  }
  const root = modelFolderRoot(dir);
  if (!inside(root, real)) throw refusal(path, real, root);
  if (!st.isFile()) throw new LenguaError('not a regular file', { file: path });
  let fd: number;
  try {
    // O_NONBLOCK: should the file have become a FIFO since the check, opening it must not wait for a writer.
    fd = openSync(real, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    throw systemError(path, err);
  }
  const opened = fstatSync(fd);
  // The descriptor must be the file checked above, not one swapped in between the check and the open.
  if (!opened.isFile() || opened.ino !== st.ino || opened.dev !== st.dev) {
    closeSync(fd);
    throw new LenguaError('changed while being opened; refusing to read it', { file: path });
  }
  return { path, real, fd, size: opened.size };
}

export function closeModelFile(f: ModelFile): void {
  closeSync(f.fd);
}

/** Runs `fn` on the opened file and closes it; undefined when the file does not exist. */
export function withModelFile<T>(dir: string, name: string, fn: (f: ModelFile) => T): T | undefined {
  const f = openModelFile(dir, name);
  if (f === undefined) return undefined;
  try {
    return fn(f);
  } finally {
    closeModelFile(f);
  }
}

/** Reads all of an opened model file into one buffer, refusing files above `maxBytes`. */
export function readOpenedModelFile(f: ModelFile, maxBytes: number): Buffer {
  if (f.size > maxBytes) throw new LenguaError(`file is ${f.size} bytes, over the ${maxBytes}-byte limit`, { file: f.path });
  const out = Buffer.allocUnsafeSlow(f.size);
  let pos = 0;
  while (pos < f.size) {
    let n: number;
    try {
      n = readSync(f.fd, out, pos, Math.min(f.size - pos, 1 << 30), pos);
    } catch (err) {
      throw systemError(f.path, err);
    }
    if (n === 0) throw new LenguaError(`file shrank while being read (${pos} of ${f.size} bytes)`, { file: f.path });
    pos += n;
  }
  return out;
}

/** The bytes of `<dir>/<name>` (at most `maxBytes`), or undefined when it does not exist. */
export function readModelFile(dir: string, name: string, maxBytes: number): Buffer | undefined {
  return withModelFile(dir, name, (f) => readOpenedModelFile(f, maxBytes));
}

/** The UTF-8 text of `<dir>/<name>` (at most `maxBytes`, itself capped below V8's string limit), or undefined. */
export function readModelText(dir: string, name: string, maxBytes: number): string | undefined {
  return readModelFile(dir, name, Math.min(maxBytes, MAX_MODEL_TEXT_BYTES))?.toString('utf8');
}

/**
 * Copies `<dir>/<name>` (at most `maxBytes`) to `dest` under the same rule, through the checked
 * descriptor (a plain copy would follow a link out of the folder); false when absent.
 */
export function copyModelFile(dir: string, name: string, dest: string, maxBytes = MAX_MODEL_TEXT_BYTES): boolean {
  const bytes = readModelFile(dir, name, maxBytes);
  if (bytes === undefined) return false;
  writeFileAtomic(dest, bytes);
  return true;
}
