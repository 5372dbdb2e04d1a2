/** Where a problem was found: a file, a 1-based line, a field (column, key) — any that apply. */
export interface ErrorLocation {
  file?: string;
  line?: number;
  field?: string;
}

/**
 * The error every Lengua stage throws for bad input or a bad setup. The message already names the
 * location, so printing `err.message` is enough for a user; the structured fields are for programs.
 */
export class LenguaError extends Error {
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly field: string | undefined;

  constructor(message: string, where: ErrorLocation = {}, options?: { cause?: unknown }) {
    super(formatMessage(message, where), options);
    this.name = 'LenguaError';
    this.file = where.file;
    this.line = where.line;
    this.field = where.field;
  }
}

function formatMessage(message: string, where: ErrorLocation): string {
  const parts: string[] = [];
  if (where.file !== undefined) parts.push(where.line !== undefined ? `${where.file}:${where.line}` : where.file);
  else if (where.line !== undefined) parts.push(`line ${where.line}`);
  if (where.field !== undefined) parts.push(`field "${where.field}"`);
  return parts.length > 0 ? `${parts.join(', ')}: ${message}` : message;
}
