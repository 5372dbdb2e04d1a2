// Test helper: a small folder of English and Spanish documents (a product FAQ, a warranty note, a shipping
// policy, JSONL release notes) whose answers the tests know by file and line.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const DOCS: Record<string, string> = {
  'faq-en.md': [
    '# Nimbus Router FAQ', // 1
    '', // 2
    '## How do I reset the router?', // 3
    '', // 4
    'Hold the reset button on the back for ten seconds until the light blinks orange.', // 5
    'The router then restarts with its factory settings.', // 6
    '', // 7
    '## Which bands does it support?', // 8
    '', // 9
    'The Nimbus works on the 2.4 GHz and 5 GHz bands at the same time.', // 10
    '',
  ].join('\n'),
  'es/preguntas.md': [
    '# Preguntas frecuentes del router Nimbus', // 1
    '', // 2
    '¿Cómo cambio la contraseña del wifi?', // 3
    'Abra la aplicación Nimbus, entre en Ajustes y elija Contraseña de la red.', // 4
    '', // 5
    '¿Cuánto dura la garantía?', // 6
    'La garantía cubre el router durante dos años desde la compra.', // 7
    '',
  ].join('\n'),
  'shipping.txt': [
    'Shipping policy', // 1
    '', // 2
    'Orders above 50 euros ship for free. Delivery takes three to five working days within the European Union.', // 3
    '', // 4
    'Returns are accepted within thirty days if the router is unused.', // 5
    '',
  ].join('\n'),
  'notes/releases.jsonl': [
    JSON.stringify({ text: 'Firmware 2.1 adds a guest network that visitors can join without the main password.' }), // 1
    JSON.stringify({ text: 'Firmware 2.2 fixes the parental control schedule.' }), // 2
    '',
  ].join('\n'),
};

/** Writes DOCS under `dir` and returns it. */
export function writeDocs(dir: string): string {
  for (const [path, text] of Object.entries(DOCS)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** Questions, the file and lines that answer each, and a word the answer must hold. */
export const QUESTIONS: Array<{ question: string; file: string; lines: [number, number]; holds: RegExp }> = [
  { question: 'How do I reset the router?', file: 'faq-en.md', lines: [5, 5], holds: /ten seconds/ },
  { question: '¿Cuánto dura la garantia?', file: 'es/preguntas.md', lines: [7, 7], holds: /dos años/ },
  { question: 'como cambio la contrasena del wifi', file: 'es/preguntas.md', lines: [4, 4], holds: /Ajustes/ },
  { question: 'How long does delivery take?', file: 'shipping.txt', lines: [3, 3], holds: /three to five working days/ },
  { question: 'Can visitors use a guest network?', file: 'notes/releases.jsonl', lines: [1, 1], holds: /guest network/ },
];
