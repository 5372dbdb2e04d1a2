/**
 * Errors a route answers with, in Text Embeddings Inference's shape `{"error": "...", "error_type": "..."}`.
 * Only HttpError messages and LenguaError messages (about the client's own input) reach the client;
 * anything else is logged and answered with a generic 500, never a stack trace.
 */
export class HttpError extends Error {
  readonly status: number;
  readonly errorType: string;
  readonly retryAfter: number | undefined;

  constructor(status: number, errorType: string, message: string, opts: { retryAfter?: number } = {}) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.errorType = errorType;
    this.retryAfter = opts.retryAfter;
  }
}

export interface ErrorBody {
  error: string;
  error_type: string;
}
