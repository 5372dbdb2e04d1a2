// Public face of the export stage: ONNX export of Lengua's models, validated against libtorch.
export { exportToOnnx, prepareExportDir, DEFAULT_OPSET, EXPORT_OPSETS, ONNX_FILE } from './export.js';
export type { ExportOptions, ExportResult } from './export.js';
export { buildGraph, taskOfModel, baseModelOf, exportedModule, EXPORT_TASKS } from './families.js';
export type { BuiltGraph, ExportTask, GraphValue } from './families.js';
export { Graph, checkProtobufSize, PROTOBUF_LIMIT } from './graph.js';
export type { Attr, Dim, ElemType, ModelOptions, OpOptions } from './graph.js';
export { validateExport, validationBatches, DEFAULT_ATOL } from './validate.js';
export type { ValidateOptions, ValidationBatch, ValidationCase, ValidationReport } from './validate.js';
