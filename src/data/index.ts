/** data/: load labelled text and NER data, label sets, splits, leakage checks and inspection. */
export { readTextFile, readTextChunks, TextChunkDecoder, decodeBytes, firstInvalidUtf8, splitLines, type TextEncoding } from './decode.js';
export { LabelSet, type LabelOrder, type LabelSetJson } from './labels.js';
export { loadDataset, detectFormat, checkKnownLabels, readMapping, siblingLabelsFile, arrayElementLines } from './load.js';
export type { DataFormat, Dataset, DatasetInfo, DatasetLayout, Example, LoadOptions, RawRecord, SkippedRow, SourceLocation } from './types.js';
export { loadConll, detectScheme, toIob2, entitySpans, type ConllDataset, type ConllOptions, type ConllSentence, type TagScheme } from './conll.js';
export { loadSeq2SeqData, type Seq2SeqData, type Seq2SeqPair, type Seq2SeqLoadOptions } from './seq2seq.js';
export {
  splitDataset,
  stratifiedKFold,
  normalizedKey,
  mulberry32,
  shuffleInPlace,
  GROUPING_RULE,
  type Fold,
  type SplitOptions,
  type SplitResult,
} from './split.js';
export { leakageReport, formatLeakageReport, type LeakageReport, type LeakEntry, type LeakOccurrence } from './leakage.js';
export {
  inspectDataset,
  inspectFile,
  DatasetInspector,
  formatReport,
  stats,
  histogramStats,
  type InspectReport,
  type InspectOptions,
  type InspectorFootprint,
  type LengthStats,
  type TokenCounter,
} from './inspect.js';
export { streamDataset, LineReader, type RowSink, type LongLine } from './stream.js';
export { hashText, TextHashIndex } from './hash.js';
export {
  serializeSplit,
  splitFileNames,
  splitOutputFiles,
  foldOutputFiles,
  refuseExistingOutputs,
  writeSplits,
  writeFolds,
  type SplitManifest,
  type FoldsManifest,
  type WriteOptions,
} from './write.js';
export { loadSquadJsonl, type QaExample, type QaAnswers } from './squad.js';
