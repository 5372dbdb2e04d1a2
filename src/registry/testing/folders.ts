/** Hand-made model folders for the registry tests: real files, no ONNX Runtime or libtorch needed. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

const CONFIG = {
  architectures: ['BertForSequenceClassification'],
  model_type: 'bert',
  hidden_size: 32,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  intermediate_size: 37,
  vocab_size: 100,
  id2label: { '0': 'negative', '1': 'neutral', '2': 'positive' },
  label2id: { negative: 0, neutral: 1, positive: 2 },
};

/** An exported folder: config.json, tokenizer.json, onnx/model.onnx (random bytes standing in for the graph). */
export function exportedFolder(dir: string, onnxBytes = 4096): string {
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(CONFIG, null, 2));
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify({ version: '1.0', model: { type: 'WordPiece', vocab: { '[PAD]': 0, '[UNK]': 1 } } }));
  writeFileSync(join(dir, 'onnx', 'model.onnx'), randomBytes(onnxBytes));
  return dir;
}

export const DATA_SHA = 'a'.repeat(64);
export const TEST_SHA = 'b'.repeat(64);

/**
 * A training folder as `lengua train` and `lengua evaluate` leave it: weights, config, training args and
 * state, results, log, evaluations.json, an eval-validation folder with its texts, a checkpoint, a lock,
 * and the user's own README.md.
 */
export function trainingFolder(dir: string): string {
  mkdirSync(join(dir, 'checkpoint-2'), { recursive: true });
  mkdirSync(join(dir, 'eval-validation'), { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(CONFIG, null, 2));
  writeFileSync(join(dir, 'model.safetensors'), randomBytes(2048));
  writeFileSync(join(dir, 'tokenizer.json'), '{"version":"1.0"}');
  writeFileSync(join(dir, 'training_args.json'), JSON.stringify({ output_dir: dir, learning_rate: 5e-5, num_train_epochs: 3, per_device_train_batch_size: 8, seed: 42 }));
  writeFileSync(join(dir, 'trainer_state.json'), JSON.stringify({ global_step: 24, epoch: 3, best_metric: 0.61, best_model_checkpoint: null, log_history: [{ step: 2, loss: 1.1 }] }));
  writeFileSync(join(dir, 'all_results.json'), JSON.stringify({ train_loss: 0.9876, eval_accuracy: 0.625, epoch: 3, note: 'not a number' }));
  writeFileSync(join(dir, 'log.jsonl'), '{"step":2,"loss":1.1}\n');
  writeFileSync(join(dir, 'evaluations.json'), JSON.stringify({
    evaluations: [
      { split: 'validation', dataFile: '/data/dev.csv', dataSha256: DATA_SHA, time: '2026-01-01T00:00:00.000Z', n: 96, metrics: { accuracy: 0.625, macro_f1: 0.5812, log_loss: 0.9 } },
      { split: 'test', dataFile: '/data/test.csv', dataSha256: TEST_SHA, time: '2026-01-02T00:00:00.000Z', n: 120, metrics: { accuracy: 0.6, macro_f1: 0.55 } },
    ],
  }));
  writeFileSync(join(dir, 'eval-validation', 'metrics.json'), JSON.stringify({ split: 'validation', dataFile: '/data/dev.csv', dataSha256: DATA_SHA, dataFiles: [{ path: '/data/dev.csv', sha256: DATA_SHA }], createdAt: '2026-01-01T00:00:00.000Z', n: 96, metrics: { accuracy: 0.625 } }));
  writeFileSync(join(dir, 'eval-validation', 'predictions.jsonl'), '{"text":"a private tweet"}\n');
  writeFileSync(join(dir, 'eval-validation', 'report.html'), '<html>a private tweet</html>');
  writeFileSync(join(dir, 'checkpoint-2', 'model.safetensors'), randomBytes(512));
  writeFileSync(join(dir, '.lengua.lock'), '{}');
  writeFileSync(join(dir, 'README.md'), '# my model\n');
  return dir;
}
