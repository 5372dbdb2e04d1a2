/** Messages between OnnxSession (main thread) and its worker. */
export interface WorkerStart {
  file: string;
  threads: number;
}

export interface WorkerRequest {
  id: number;
  feeds: Record<string, { data: BigInt64Array; dims: number[] }>;
  outputs: string[];
}

export type WorkerReply =
  | { type: 'loaded'; inputNames: string[]; outputNames: string[] }
  | { type: 'failed'; message: string }
  | { type: 'result'; id: number; outputs: Record<string, { data: Float32Array; dims: number[] }> }
  | { type: 'error'; id: number; message: string };
