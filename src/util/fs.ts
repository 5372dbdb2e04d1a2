import { mkdirSync, renameSync, rmSync, writeFileSync, openSync, fsyncSync, closeSync, statSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { LenguaError } from '../errors.js';

/**
 * Writes a file so that readers see either the old content or the new, never a torn one:
 * write a temporary sibling, fsync it, then rename over the target (atomic on POSIX).
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    writeFileSync(tmp, data);
    const fd = openSync(tmp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    // A failed write(2) (ENOSPC, EIO) carries no path: name the file the caller asked for.
    if (isSystemError(err) && err.path === undefined) err.path = path;
    throw err;
  }
}

/** What a system error means for a user, and what to do about it; undefined for codes we have no advice for. */
const SYSTEM_ERROR_ADVICE: Record<string, string> = {
  ENOENT: 'no such file or folder; check the path',
  EEXIST: 'already exists',
  ENOTDIR: 'a part of the path is a file, not a folder; choose another path',
  EISDIR: 'is a folder; name a file',
  EACCES: 'permission denied; choose a place you can write to, or change its permissions',
  EPERM: 'operation not permitted; choose a place you can write to',
  EROFS: 'the file system is read-only; choose a writable place',
  ENOSPC: 'the disk is full; free some space or choose another disk (files written so far are left whole)',
  EDQUOT: 'the disk quota is exceeded; free some space or choose another place',
  EMFILE: 'too many open files; raise the limit (ulimit -n)',
  ENAMETOOLONG: 'the path is too long; choose a shorter one',
  ELOOP: 'too many symbolic links; check the path',
};

/** A Node system error (fs, net): it has a string `code` such as ENOENT and usually a `path`. */
export function isSystemError(err: unknown): err is NodeJS.ErrnoException & { code: string } {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' && /^E[A-Z]+$/.test((err as NodeJS.ErrnoException).code!);
}

/** `PATH: what happened, what to do` for a system error, in the words of SYSTEM_ERROR_ADVICE. */
export function describeSystemError(err: NodeJS.ErrnoException & { code: string; dest?: string }): string {
  const advice = SYSTEM_ERROR_ADVICE[err.code] ?? `${err.code}: ${err.message}`;
  const where = err.dest !== undefined ? `${err.path} → ${err.dest}` : err.path;
  return where !== undefined ? `${where}: ${advice}` : `${err.syscall ?? 'system call'}: ${advice}`;
}

/**
 * Checks before any work that `dir` can hold outputs: it is a folder (or can be made one) and a file can
 * be written in it. Creates it. A problem is a LenguaError naming `flag` and the path, so a long fit never
 * ends in EEXIST or EACCES.
 */
export function ensureWritableDir(dir: string, flag = '--out'): void {
  let st;
  try {
    st = statSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw outputError(dir, flag, err);
  }
  if (st !== undefined && !st.isDirectory()) throw new LenguaError(`${flag} ${dir} is a file; ${flag} names a folder`, { field: flag.replace(/^--/, '') });
  const probe = join(dir, `.lengua-write-test.${process.pid}.${randomBytes(4).toString('hex')}`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(probe, '');
  } catch (err) {
    throw outputError(dir, flag, err);
  } finally {
    rmSync(probe, { force: true });
  }
}

function outputError(dir: string, flag: string, err: unknown): Error {
  if (!isSystemError(err)) return err as Error;
  return new LenguaError(`${flag} ${describeSystemError(err)}`, { field: flag.replace(/^--/, '') }, { cause: err });
}
