// Public face of the export stage: ONNX export of Lengua's models, validated against libtorch.
export { exportToOnnx, prepareExportDir, DEFAULT_OPSET, EXPORT_OPSETS, ONNX_FILE } from './export.js';
export type { ExportOptions, ExportResult } from './export.js';
export { buildGraph, taskOfModel, baseModelOf, exportedModule, exportTaskOf, onnxFileOf, EXPORT_TASKS, MODEL_TASK } from './families.js';
export type { BuiltGraph, ExportTask, GraphValue } from './families.js';
export { Graph, checkProtobufSize, needsExternalData, EXTERNAL_DATA_THRESHOLD, PROTOBUF_LIMIT } from './graph.js';
export type { Attr, Dim, ElemType, ModelOptions, OpOptions } from './graph.js';
export { validateExport, validationBatches, decoderValidationBatches, positionIdsFromMask, DEFAULT_ATOL } from './validate.js';
export type { DecoderValidationBatch, ValidateOptions, ValidationBatch, ValidationCase, ValidationReport } from './validate.js';
export { quantizeDynamic, quantizeBytes, quantizeWeight, validateQuantized, exportQuantized, QUANTIZED_ONNX_FILE, QUANTIZE_MODES, QUANTIZED_RTOL_PER_MATMUL } from './quantize.js';
export type { QuantizeMode, QuantizeOptions, QuantizeReport, QuantizedMatMul, QuantizedExport, QuantizedValidationReport, QuantizedValidationCase, ValidateQuantizedOptions } from './quantize.js';
