/**
 * Writes the short-answer grading data set of this example: data/train.jsonl and data/validation.jsonl, rows
 * {"question", "reference", "answer", "label", "kind"} with label correct / partial / incorrect (kind: which
 * frame made the answer, e.g. off-topic; for the per-kind scores only, no model reads it). A grader model reads the
 * pair (reference answer, student answer). Three science questions; every student answer is synthetic: a frame
 * filled with the question's key-point paraphrases and misconceptions written below (English only). No open
 * short-answer grading set is on this machine.
 *
 * The grading rule the data follows: both key points (in any wording) = correct; one key point, alone or next to a
 * misconception = partial; only misconceptions, no answer, or a correct answer to a *different* question
 * (off-topic: the pair is what shows it is wrong) = incorrect.
 *
 * Held out by construction: every 3rd paraphrase of each key point and misconception, and every 3rd opener
 * ("I think", "Basically", ...) and joiner (" and ", "; ", ...), is used only for validation; a validation answer
 * draws each piece from those held-out lists half of the time, so it mixes unseen wordings with seen ones.
 *
 *   node --import tsx examples/education/make-data.ts [OUT_DIR]      # default: examples/education/data
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '../../src/data/index.js';
import { countLabels, holdOut, render, writeLines, type Slots } from '../finance/templates.js';

interface Question {
  question: string;
  reference: string;
  /** Paraphrases of the two key points and of common misconceptions. */
  a: string[];
  b: string[];
  m: string[];
}

const QUESTIONS: Question[] = [
  {
    question: 'Why does the Earth have seasons?',
    reference: "The Earth's axis is tilted, so as the Earth orbits the Sun each hemisphere gets more direct sunlight and longer days for part of the year and less for the rest of it.",
    a: ["the Earth's axis is tilted", 'the Earth is tilted on its axis', 'the planet leans at about 23.5 degrees', 'the axis of the Earth is not straight up and down',
      "Earth's axis has a tilt", 'the earth is tipped over a bit on its axis'],
    b: ['each hemisphere gets more direct sunlight for part of the year', "the sun's rays hit one half more directly at different times of the orbit",
      'the days get longer and the light more direct in summer', 'the angle of the sunlight changes as we go around the sun',
      'one hemisphere faces the sun more during part of the year', 'in winter the sunlight comes in at a low angle and is spread out'],
    m: ['the Earth is closer to the Sun in summer and farther away in winter', 'the sun gets hotter and colder during the year',
      'the Earth spins faster in summer', 'clouds block the sun in winter', 'the moon blocks some of the sunlight in winter',
      'the Earth moves away from the sun in winter'],
  },
  {
    question: 'What happens during photosynthesis?',
    reference: 'Plants use energy from light to turn carbon dioxide and water into glucose, and they release oxygen.',
    a: ['plants use energy from sunlight', 'they capture light energy with chlorophyll', 'the leaves absorb sunlight for energy',
      'light gives the plant the energy it needs', 'chlorophyll traps energy from the sun', "the plant uses the sun's energy"],
    b: ['they turn carbon dioxide and water into sugar', 'they make glucose out of CO2 and water', 'carbon dioxide and water are changed into glucose and oxygen',
      'they combine water and carbon dioxide to make food and give off oxygen', 'CO2 from the air and water from the roots become sugar',
      'they build glucose from carbon dioxide and water and release oxygen'],
    m: ['plants get their food from the soil through their roots', 'plants breathe in oxygen and breathe out carbon dioxide', 'plants eat sunlight',
      'the roots suck up food from the ground', 'plants make water from the sun', 'plants sleep at night and grow'],
  },
  {
    question: 'Why does ice float on water?',
    reference: 'Ice is less dense than liquid water, because when water freezes hydrogen bonds hold its molecules in an open crystal structure with more space between them.',
    a: ['ice is less dense than water', 'ice has a lower density than liquid water', 'the same mass of ice takes up more volume', 'water expands when it freezes',
      'a block of ice weighs less than the same volume of water', 'frozen water is less dense'],
    b: ['the molecules form an open crystal lattice', 'hydrogen bonds hold the molecules further apart', 'the molecules lock into a hexagonal structure with gaps',
      'freezing spaces the molecules out in a regular pattern', 'the hydrogen bonds make an open structure with lots of space',
      'in ice the molecules are arranged with more empty space between them'],
    m: ['ice has air bubbles trapped inside that make it float', 'ice is lighter because it is cold', 'solids always float on liquids',
      'the water pushes the ice up because ice is heavier', 'ice is made of a different substance than water', 'cold things always rise'],
  },
];

// {a}, {b}: the question's key points; {m}, {m2}: misconceptions; {oa}, {ob}: key points of other questions. The
// openers and joiners are the same lists for every grade, so the wording around the content says nothing about
// the grade: only which ideas the answer holds does.
const FRAMES: Record<string, string[]> = {
  correct: ['{open}{a}{join}{b}.', '{open}{b}{join}{a}.'],
  partial: ['{open}{a}.', '{open}{b}.', '{open}{a}{join}{m}.', '{open}{m}{join}{b}.'],
  incorrect: ['{open}{m}.', '{open}{m}{join}{m2}.', '{open}{oa}{join}{ob}.', '{open}{oa}.', '{dunno}'],
};
/** What each frame puts in the answer: the "kind" column, for scoring the models per kind (by-kind.ts). */
const KIND: Record<string, string> = {
  '{open}{a}{join}{b}.': 'both key points', '{open}{b}{join}{a}.': 'both key points',
  '{open}{a}.': 'one key point', '{open}{b}.': 'one key point',
  '{open}{a}{join}{m}.': 'key point + misconception', '{open}{m}{join}{b}.': 'key point + misconception',
  '{open}{m}.': 'misconceptions only', '{open}{m}{join}{m2}.': 'misconceptions only',
  '{open}{oa}{join}{ob}.': 'off-topic (right answer to another question)', '{open}{oa}.': 'off-topic (right answer to another question)',
  '{dunno}': 'no answer',
};
const OPENERS = ['', 'Because ', 'I think ', "It's because ", 'Basically ', 'Well, ', 'The answer is that ', 'I believe ', 'My answer: '];
const JOINERS = [' and ', '. Also ', '; ', ', and ', ' and also ', '. ', ', plus ', ' as well as the fact that ', '. On top of that '];
const DUNNO = ["I don't know.", 'No idea, sorry.', 'I forgot this one.', 'Not sure.', "We didn't cover this yet.", 'Something to do with the weather?'];

/** A joiner can end a sentence (". Also "): start the next one with a capital. */
function sentenceCase(s: string): string {
  return s.replace(/([.?!] )(\p{Ll})/gu, (_, stop: string, c: string) => stop + c.toUpperCase());
}

function main(): void {
  const out = process.argv[2] ?? join(fileURLToPath(new URL('.', import.meta.url)), 'data');
  const rand = mulberry32(20261208);
  // Validation lists: the held-out paraphrases twice next to the training ones once, so about half the draws are unseen.
  const side = (xs: readonly string[], split: 'train' | 'validation') => {
    const h = holdOut(xs, 3);
    return split === 'train' ? h.train : [...h.validation, ...h.validation, ...h.train];
  };
  const seen = new Set<string>();
  for (const split of ['train', 'validation'] as const) {
    const rows: Array<{ question: string; reference: string; answer: string; label: string; kind: string }> = [];
    QUESTIONS.forEach((q, qi) => {
      const others = QUESTIONS.filter((_, j) => j !== qi);
      const slots: Slots = {
        a: side(q.a, split), b: side(q.b, split), m: side(q.m, split), m2: side(q.m, split), dunno: side(DUNNO, split),
        open: side(OPENERS, split), join: side(JOINERS, split),
        oa: others.flatMap((o) => side(o.a, split)), ob: others.flatMap((o) => side(o.b, split)),
      };
      // The off-topic frame pairs oa with ob of possibly different other questions; fine, still off-topic.
      // About the same number of answers per grade: 24 per question for training, 12 for validation.
      const rendered = Object.entries(FRAMES).flatMap(([label, texts]) => texts.flatMap((text) =>
        render([{ label, text }], slots, Math.ceil((split === 'train' ? 24 : 12) / texts.length), rand, seen, sentenceCase).map((r) => ({ ...r, kind: KIND[text]! }))));
      for (const r of rendered) rows.push({ question: q.question, reference: q.reference, answer: r.text, label: r.label, kind: r.kind });
    });
    writeLines(join(out, `${split}.jsonl`), rows.map((x) => JSON.stringify(x)));
    process.stdout.write(`${split}: ${rows.length} graded answers to ${QUESTIONS.length} questions (${countLabels(rows)}) -> ${join(out, `${split}.jsonl`)}\n`);
  }
}

main();
