// One reading of config.json's architectures for the registry, the server and lengua predict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firstArchitecture, pipelineTaskOfArchitecture } from './architecture.js';

test('the pipeline task of each head Lengua runs, as transformers reads architectures[0]', () => {
  const cases: Array<[string, string | null]> = [
    ['BertForSequenceClassification', 'text-classification'], ['RobertaForTokenClassification', 'token-classification'],
    ['DistilBertForQuestionAnswering', 'question-answering'], ['BertForMaskedLM', 'fill-mask'], ['GPT2LMHeadModel', 'text-generation'],
    ['T5ForConditionalGeneration', 'text2text-generation'], ['BartForConditionalGeneration', 'text2text-generation'],
    // Marian's model class ends like a base model's but is an encoder-decoder (the registry used to call it feature-extraction).
    ['MarianMTModel', 'text2text-generation'], ['BertModel', 'feature-extraction'], ['SomethingElse', null],
  ];
  for (const [arch, task] of cases) assert.equal(pipelineTaskOfArchitecture(arch), task, arch);
  assert.equal(pipelineTaskOfArchitecture(null), null);
  assert.equal(firstArchitecture({ architectures: ['BertModel', 'x'] }), 'BertModel');
  assert.equal(firstArchitecture({ architectures: [] }), null);
  assert.equal(firstArchitecture({}), null);
});
