/**
 * Worker of OnnxSession (a worker thread or a child process, see worker-host.ts): holds one ONNX Runtime
 * InferenceSession and runs it on the batches it is sent, one at a time. ORT's `run()` computes on the
 * calling thread in onnxruntime-node, so running it here keeps the owner's event loop free while a batch
 * computes.
 */
import * as ort from 'onnxruntime-node';
import type { WorkerReply, WorkerRequest, WorkerStart } from './session-protocol.js';
import { hostPort } from './worker-host.js';

const { start, ...port } = await hostPort<WorkerStart>();

async function main(): Promise<void> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(start.file, {
      intraOpNumThreads: start.threads,
      // One graph, run node after node: the inter-op pool would only add idle threads.
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
  } catch (err) {
    port.post({ type: 'failed', message: (err as Error).message } satisfies WorkerReply);
    return;
  }
  port.post({ type: 'loaded', inputNames: [...session.inputNames], outputNames: [...session.outputNames] } satisfies WorkerReply);
  // Requests are queued and run in order: one session, one batch at a time (its threads are the parallelism).
  let chain = Promise.resolve();
  port.onMessage((m: WorkerRequest) => {
    chain = chain.then(async () => {
      try {
        const feeds: Record<string, ort.Tensor> = {};
        for (const [name, f] of Object.entries(m.feeds)) feeds[name] = new ort.Tensor('int64', f.data, f.dims);
        const out = await session.run(feeds, m.outputs);
        const outputs: Record<string, { data: Float32Array; dims: number[] }> = {};
        const transfer: ArrayBuffer[] = [];
        for (const name of m.outputs) {
          const t = out[name]!;
          if (t.type !== 'float32') throw new Error(`output ${name} is ${t.type}, not float32`);
          const data = t.data as Float32Array;
          outputs[name] = { data, dims: [...t.dims] };
          transfer.push(data.buffer as ArrayBuffer);
        }
        port.post({ type: 'result', id: m.id, outputs } satisfies WorkerReply, transfer);
      } catch (err) {
        port.post({ type: 'error', id: m.id, message: (err as Error).message } satisfies WorkerReply);
      }
    });
  });
}

void main();
