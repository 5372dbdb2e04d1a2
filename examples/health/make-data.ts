/**
 * Writes the clinical-note NER data set of this example: data/train.conll and data/validation.conll, one token and
 * its IOB2 tag per line, a blank line between sentences, four entity types: DRUG, DOSE, CONDITION, SYMPTOM. Every
 * sentence is synthetic: a hand-written clinical-note template below (English, and some Spanish) filled with
 * drug, condition and symptom names from the lists below and made-up doses, ages and durations. No patient
 * data, and no open clinical NER set is on this machine.
 *
 * Held out by construction: every 4th template of each language is used only for validation, and so is every 4th
 * drug, condition and symptom name; a validation entity is drawn from those never-trained names half of the
 * time, so the memorize-the-training-tags baseline cannot know it and a model must go by context.
 *
 *   node --import tsx examples/health/make-data.ts [OUT_DIR]      # default: examples/health/data
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '../../src/data/index.js';
import { LenguaError } from '../../src/errors.js';
import { holdOut, pick, writeLines, type Rand } from '../finance/templates.js';

// {DRUG}, {DOSE}, {CONDITION}, {SYMPTOM}: entities; lower-case holes ({age}, {freq}, ...) are plain words (O).
const EN = [
  'Patient is a {age}-year-old {sex} with a history of {CONDITION} presenting with {SYMPTOM}.',
  'Started {DRUG} {DOSE} {freq} for {CONDITION}.',
  'She reports {SYMPTOM} and {SYMPTOM} for the past {dur}.',
  '{DRUG} was increased to {DOSE} {freq} due to poorly controlled {CONDITION}.',
  'Discontinue {DRUG} because of {SYMPTOM}.',
  'Known {CONDITION}, currently on {DRUG} {DOSE} {freq}.',
  'He denies {SYMPTOM}, {SYMPTOM} or {SYMPTOM}.',
  'Continue {DRUG} {DOSE} {freq} and {DRUG} {DOSE} {freq}.',
  'Admitted with {SYMPTOM}; work-up consistent with {CONDITION}.',
  'Prescribed {DRUG} {DOSE} {freq} for {dur}.',
  '{SYMPTOM} improved after the first dose of {DRUG}.',
  'Past medical history: {CONDITION}, {CONDITION}.',
  'Complains of intermittent {SYMPTOM}, worse at night.',
  'Switched from {DRUG} to {DRUG} {DOSE} {freq}.',
  'No history of {CONDITION}.',
  'Patient took {DOSE} of {DRUG} at home before arrival.',
  'Diagnosed with {CONDITION} {dur} ago.',
  'Reports mild {SYMPTOM} since starting {DRUG}.',
  'Plan: {DRUG} {DOSE} {freq}, recheck in {dur}.',
  'The {SYMPTOM} resolved and {DRUG} was stopped.',
  '{CONDITION} well controlled on {DRUG}.',
  'Presents with {SYMPTOM} and {SYMPTOM}; suspect {CONDITION}.',
  'Allergic to {DRUG} (causes {SYMPTOM}).',
  'Give {DRUG} {DOSE} now, then {DOSE} {freq}.',
];
const ES = [
  'Paciente de {edad} años con antecedentes de {CONDITION} que acude por {SYMPTOM}.',
  'Se inicia {DRUG} {DOSE} {frec} por {CONDITION}.',
  'Refiere {SYMPTOM} y {SYMPTOM} desde hace {duracion}.',
  'Niega {SYMPTOM}.',
  'En tratamiento con {DRUG} {DOSE} {frec}.',
  'Se suspende {DRUG} por {SYMPTOM}.',
  'Diagnóstico: {CONDITION}.',
  'Mejoría clínica tras {DRUG}, sin {SYMPTOM}.',
];

const ENTITIES: Record<'en' | 'es', Record<string, string[]>> = {
  en: {
    DRUG: ['metformin', 'lisinopril', 'atorvastatin', 'amoxicillin', 'ibuprofen', 'paracetamol', 'omeprazole', 'amlodipine', 'levothyroxine',
      'salbutamol', 'prednisone', 'warfarin', 'insulin glargine', 'sertraline', 'furosemide', 'azithromycin', 'metoprolol', 'gabapentin',
      'ciprofloxacin', 'losartan', 'clopidogrel', 'simvastatin', 'hydrochlorothiazide', 'montelukast'],
    CONDITION: ['type 2 diabetes', 'hypertension', 'asthma', 'COPD', 'atrial fibrillation', 'pneumonia', 'hypothyroidism', 'major depressive disorder',
      'heart failure', 'chronic kidney disease', 'urinary tract infection', 'migraine', 'rheumatoid arthritis', 'gastroesophageal reflux disease',
      'hyperlipidemia', 'osteoarthritis', 'epilepsy', 'iron deficiency anemia', 'cellulitis', 'acute bronchitis'],
    SYMPTOM: ['chest pain', 'shortness of breath', 'headache', 'nausea', 'dizziness', 'fatigue', 'cough', 'fever', 'abdominal pain', 'ankle swelling',
      'palpitations', 'rash', 'joint pain', 'blurred vision', 'vomiting', 'night sweats', 'wheezing', 'insomnia', 'back pain', 'diarrhea'],
  },
  es: {
    DRUG: ['metformina', 'enalapril', 'atorvastatina', 'amoxicilina', 'ibuprofeno', 'paracetamol', 'omeprazol', 'amlodipino', 'salbutamol',
      'insulina glargina', 'furosemida', 'losartán'],
    CONDITION: ['diabetes tipo 2', 'hipertensión arterial', 'asma', 'EPOC', 'fibrilación auricular', 'neumonía', 'hipotiroidismo', 'insuficiencia cardíaca'],
    SYMPTOM: ['dolor torácico', 'disnea', 'cefalea', 'náuseas', 'mareo', 'fiebre', 'tos', 'dolor abdominal', 'palpitaciones', 'astenia', 'vómitos', 'edemas en miembros inferiores'],
  },
};

const PLAIN: Record<string, readonly string[]> = {
  age: ['34', '45', '52', '61', '67', '72', '78', '83', '29'],
  sex: ['man', 'woman', 'male', 'female'],
  freq: ['daily', 'twice daily', 'once daily', 'every 8 hours', 'at night', 'three times a day', 'as needed', 'weekly'],
  dur: ['two days', '3 weeks', 'six months', 'a year', '5 days', 'two weeks', '10 years'],
  edad: ['38', '47', '59', '64', '71', '80'],
  frec: ['cada 8 horas', 'cada 12 horas', 'una vez al día', 'por la noche', 'si precisa'],
  duracion: ['dos días', 'una semana', 'tres meses', '48 horas', 'un año'],
};

function dose(rand: Rand, lang: 'en' | 'es'): string {
  const amount = pick(['0.5', '1', '2', '2.5', '5', '10', '20', '25', '40', '50', '75', '100', '250', '500', '850', '1000'], rand);
  const unit = pick(lang === 'en' ? ['mg', 'mg', 'mg', 'g', 'mcg', 'units', 'mL', 'puffs', 'tablets'] : ['mg', 'mg', 'mg', 'g', 'mcg', 'UI', 'ml', 'inhalaciones', 'comprimidos'], rand);
  return `${amount} ${unit}`;
}

/** Whitespace words, with leading "(" and trailing , . ; : ) as tokens of their own (CoNLL style); "2.5" stays whole. */
function words(text: string): string[] {
  const out: string[] = [];
  for (const chunk of text.split(/\s+/u).filter((c) => c !== '')) {
    let w = chunk;
    const tail: string[] = [];
    while (w.length > 1 && w.startsWith('(')) {
      out.push('(');
      w = w.slice(1);
    }
    while (w.length > 1 && /[,.;:)]$/u.test(w)) {
      tail.unshift(w.slice(-1));
      w = w.slice(0, -1);
    }
    out.push(w, ...tail);
  }
  return out;
}

interface Sentence {
  tokens: string[];
  tags: string[];
}

function renderSentence(template: string, lang: 'en' | 'es', names: (type: string) => readonly string[], rand: Rand): Sentence {
  const tokens: string[] = [];
  const tags: string[] = [];
  const push = (token: string, tag: string) => {
    tokens.push(token);
    tags.push(tag);
  };
  // Split the template around its holes; text between holes is plain (O) words.
  for (const part of template.split(/(\{\w+\})/u)) {
    const hole = /^\{(\w+)\}$/u.exec(part)?.[1];
    if (hole === undefined) {
      for (const w of words(part)) push(w, 'O');
    } else if (hole === 'DOSE' || hole === 'DRUG' || hole === 'CONDITION' || hole === 'SYMPTOM') {
      const ws = words(hole === 'DOSE' ? dose(rand, lang) : pick(names(hole), rand));
      ws.forEach((w, i) => push(w, `${i === 0 ? 'B' : 'I'}-${hole}`));
    } else {
      const values = PLAIN[hole];
      if (values === undefined) throw new LenguaError(`unknown hole {${hole}} in ${JSON.stringify(template)}`, { field: hole });
      for (const w of words(pick(values, rand))) push(w, 'O');
    }
  }
  // A hole glued to the next word ("{age}-year-old") leaves "-year-old" as its own token: join it back.
  for (let i = tokens.length - 1; i > 0; i--) {
    if (tokens[i]!.startsWith('-') && tags[i] === 'O' && tags[i - 1] === 'O') {
      tokens.splice(i - 1, 2, tokens[i - 1]! + tokens[i]!);
      tags.splice(i, 1);
    }
  }
  // Notes start sentences with a capital, entity or not ("Metformin was increased ...").
  tokens[0] = tokens[0]!.charAt(0).toUpperCase() + tokens[0]!.slice(1);
  return { tokens, tags };
}

function main(): void {
  const out = process.argv[2] ?? join(fileURLToPath(new URL('.', import.meta.url)), 'data');
  const rand = mulberry32(20261209);
  const seen = new Set<string>();
  const counts: string[] = [];
  for (const split of ['train', 'validation'] as const) {
    const sentences: Sentence[] = [];
    for (const [lang, templates, perTemplate] of [['en', EN, 10], ['es', ES, 10]] as const) {
      const lists = Object.fromEntries(Object.entries(ENTITIES[lang]).map(([type, xs]) => [type, holdOut(xs, 4)]));
      // Validation: a never-trained name half of the time, a training name otherwise.
      const names = (type: string) => {
        const h = lists[type]!;
        return split === 'train' || rand() < 0.5 ? h.train : h.validation;
      };
      for (const template of holdOut(templates, 4)[split]) {
        for (let made = 0, tries = 0; made < perTemplate && tries < 50 * perTemplate; tries++) {
          const s = renderSentence(template, lang, names, rand);
          const key = s.tokens.join(' ').toLowerCase();
          if (seen.has(key)) continue;
          seen.add(key);
          sentences.push(s);
          made++;
        }
      }
    }
    const lines = sentences.flatMap((s) => [...s.tokens.map((t, i) => `${t} ${s.tags[i]!}`), '']);
    writeLines(join(out, `${split}.conll`), lines.slice(0, -1));
    const entities = sentences.reduce((n, s) => n + s.tags.filter((t) => t.startsWith('B-')).length, 0);
    counts.push(`${split}: ${sentences.length} sentences, ${entities} entities -> ${join(out, `${split}.conll`)}`);
  }
  process.stdout.write(counts.join('\n') + '\n');
}

main();
