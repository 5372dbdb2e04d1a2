/**
 * `lengua export --model DIR --out DIR`: writes the ONNX layout Transformers.js and Optimum read
 * (config.json, tokenizer files, onnx/model.onnx), validated in ONNX Runtime against the libtorch
 * forward before it is kept.
 */
import { Command, Option } from 'commander';
import { LenguaError } from '../errors.js';
import { DEFAULT_OPSET, EXPORT_OPSETS, EXPORT_TASKS, exportToOnnx, QUANTIZE_MODES, type ExportResult, type ExportTask, type QuantizeMode } from '../export/index.js';

interface ExportFlags {
  model: string;
  out: string;
  task: 'auto' | ExportTask;
  opset: string;
  overwrite?: boolean;
  atol?: string;
  json?: boolean;
  quantize?: QuantizeMode;
}

function kb(bytes: number): string {
  return bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MB` : `${(bytes / 1024).toFixed(0)} KB`;
}

/** What the command prints without --json. */
export function describeExport(r: ExportResult): string {
  const dims = (d: Array<number | string>): string => `[${d.join(', ')}]`;
  const lines = [
    `exported ${r.architecture} (${r.modelType}) for ${r.task} to ${r.outDir}`,
    `  ${r.files.find((f) => f.endsWith('.onnx'))}: ${kb(r.onnxBytes)}, ${r.nodes} nodes, opset ${r.opset}, ${(r.parameters / 1e6).toFixed(2)}M parameters`,
    `  inputs:  ${r.inputs.map((i) => `${i.name} ${i.type} ${dims(i.dims)}`).join(', ')}`,
    `  outputs: ${r.outputs.map((o) => `${o.name} ${o.type} ${dims(o.dims)}`).join(', ')}`,
    `  checked in ONNX Runtime against libtorch on ${r.validation.cases.length} batches with padded rows ` +
      `(${r.validation.cases.map((c) => `${c.batch}×${c.sequenceLength}`).join(', ')}): max |difference| ${r.validation.maxAbsDiff.toExponential(2)} (tolerance ${r.validation.atol})`,
    ...(r.quantized !== undefined ? [
      `  onnx/model_quantized.onnx: ${kb(r.quantized.bytes)}, ${r.quantized.report.matmuls.length} MatMuls int8 (weights per column, activations at run time); ` +
        `against the float file: relative error ${(100 * r.quantized.validation.relError).toFixed(2)} % (bound ${(100 * r.quantized.validation.rtol).toFixed(1)} %)` +
        (r.quantized.validation.argmaxAgreement !== undefined ? `, same argmax on ${(100 * r.quantized.validation.argmaxAgreement).toFixed(0)} % of rows` : ''),
    ] : []),
    `  files: ${r.files.join(', ')}`,
    `  ${r.seconds.total.toFixed(2)} s`,
  ];
  if (!r.files.some((f) => f === 'tokenizer.json')) lines.push('  note: the model folder has no tokenizer.json; Transformers.js needs one beside the model');
  return lines.join('\n') + '\n';
}

export function register(program: Command): void {
  program
    .command('export')
    .description('export a model folder to ONNX (config.json, tokenizer files, onnx/model.onnx) for Transformers.js / Optimum / ONNX Runtime, validated against libtorch')
    .requiredOption('--model <dir>', 'model folder (a training output, a checkpoint-N folder) or Hub id')
    .requiredOption('--out <dir>', 'output folder (must be empty unless --overwrite)')
    .addOption(new Option('--task <task>', 'what the graph computes (auto: from config.json architectures)').choices(['auto', ...EXPORT_TASKS]).default('auto'))
    .addOption(new Option('--opset <n>', 'ONNX opset').choices(EXPORT_OPSETS.map(String)).default(String(DEFAULT_OPSET)))
    .option('--overwrite', 'replace an earlier export in --out (its config, tokenizer files and onnx/); other files are left alone')
    .option('--atol <x>', 'largest |ONNX Runtime - libtorch| accepted by the validation', '1e-4')
    .addOption(new Option('--quantize <mode>', 'also write onnx/model_quantized.onnx (dynamic int8, Transformers.js dtype q8), validated against the float file').choices([...QUANTIZE_MODES]))
    .option('--json', 'print the result as JSON')
    .action(async (flags: ExportFlags) => {
      const atol = Number(flags.atol);
      if (!(atol > 0 && Number.isFinite(atol))) throw new LenguaError(`expected a positive number, got ${JSON.stringify(flags.atol)}`, { field: '--atol' });
      const r = await exportToOnnx(flags.model, flags.out, {
        task: flags.task, opset: Number(flags.opset), overwrite: flags.overwrite === true, overwriteFlag: '--overwrite', atol, ...(flags.quantize !== undefined ? { quantize: flags.quantize } : {}),
      });
      process.stdout.write(flags.json === true ? JSON.stringify(r) + '\n' : describeExport(r));
    });
}
