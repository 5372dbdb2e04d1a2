import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { LenguaError } from '../errors.js';

/**
 * Emoji detection and emoji → words, shared by the normalizer and the word tokenizer.
 *
 * A whole emoji sequence is one unit: flags (two regional indicators), keycaps (`#️⃣`, `1️⃣`),
 * a pictograph with its skin-tone modifier, variation selector or tag sequence (`🏴󠁧󠁢󠁳󠁣󠁴󠁿`), and ZWJ
 * sequences (`👨‍👩‍👧`). Detection uses Unicode properties, so new emoji are found without a table.
 */

// Modifiers that stay attached to the pictograph before them: skin tones, the emoji/text variation
// selectors, the enclosing keycap, and a tag sequence (subdivision flags such as Scotland).
const MODIFIER = String.raw`(?:\p{Emoji_Modifier}|\uFE0F|\uFE0E|\u20E3|[\u{E0020}-\u{E007E}]+\u{E007F})`;
const ELEMENT =
  String.raw`(?:\p{Regional_Indicator}{2}|[#*0-9]\uFE0F?\u20E3|` +
  String.raw`(?:\p{Extended_Pictographic}|\p{Emoji_Presentation}|\p{Emoji_Modifier}|\p{Regional_Indicator})` +
  `${MODIFIER}*)`;

/** Source of a regular expression (flag `u`) matching one whole emoji sequence. */
export const EMOJI_SOURCE = `${ELEMENT}(?:\\u200D${ELEMENT})*`;

const ELEMENT_RE = new RegExp(ELEMENT, 'gu');
const WHOLE_EMOJI_RE = new RegExp(`^(?:${EMOJI_SOURCE})$`, 'u');

/** True when `text` is exactly one emoji sequence (`'👍🏽'`, `'🇪🇸'`, `'👨‍👩‍👧'`). */
export function isEmoji(text: string): boolean {
  return WHOLE_EMOJI_RE.test(text);
}

/** The languages emoji names are available in. */
export type EmojiLanguage = 'en' | 'es';

interface EmojibaseEntry {
  hexcode: string;
  label: string;
  skins?: EmojibaseEntry[];
}

const names = new Map<EmojiLanguage, Map<string, string>>();

// Variation selectors carry presentation only; emojibase keys some sequences with FE0F and some
// without, so both the table and the look-ups drop them.
function keyOf(sequence: string): string {
  const parts: string[] = [];
  for (const ch of sequence) {
    const cp = ch.codePointAt(0)!;
    if (cp === 0xfe0f || cp === 0xfe0e) continue;
    parts.push(cp.toString(16).toUpperCase().padStart(4, '0'));
  }
  return parts.join('-');
}

function keyOfHexcode(hexcode: string): string {
  return hexcode
    .split('-')
    .filter((h) => h !== 'FE0F' && h !== 'FE0E')
    .join('-');
}

/**
 * The CLDR short name of an emoji turned into one word, the way Python's `emoji.demojize` writes
 * names: lower case, runs of spaces and punctuation become `_` (`thumbs up: light skin tone` →
 * `thumbs_up_light_skin_tone`, `cara llorando de risa`). `#` and `*` are kept for the keycaps.
 */
export function nameToWord(label: string): string {
  return label
    .normalize('NFC')
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}#*]+/gu, '_')
    .replace(/^_+|_+$/g, '');
}

// The CLDR annotations ship in emojibase-data (≈570 kB of JSON per language); they are read on the
// first emoji → words conversion only, so normalizing without `emoji: 'words'` never loads them.
function table(language: EmojiLanguage): Map<string, string> {
  let map = names.get(language);
  if (map !== undefined) return map;
  const require = createRequire(import.meta.url);
  let file: string;
  try {
    file = require.resolve(`emojibase-data/${language}/compact.json`);
  } catch (err) {
    throw new LenguaError(`emoji names for "${language}" need the emojibase-data package (npm install emojibase-data)`, {}, { cause: err });
  }
  const entries = JSON.parse(readFileSync(file, 'utf8')) as EmojibaseEntry[];
  map = new Map();
  const add = (e: EmojibaseEntry): void => {
    const word = nameToWord(e.label);
    if (word !== '') map!.set(keyOfHexcode(e.hexcode), word);
  };
  for (const entry of entries) {
    add(entry);
    for (const skin of entry.skins ?? []) add(skin);
  }
  names.set(language, map);
  return map;
}

/**
 * Names for one emoji sequence, as `:word:` shortcodes, or `undefined` when no part of it is known.
 * A sequence missing from CLDR (an unusual ZWJ or skin-tone combination) is named element by
 * element: `👩🏽‍🦲` → `:woman_medium_skin_tone_bald:` when CLDR lists it, otherwise its parts.
 * Elements without a name come back unchanged, so `emojiToWords(x)` is stable when applied again.
 */
export function emojiToWords(sequence: string, language: EmojiLanguage): string | undefined {
  const map = table(language);
  const whole = map.get(keyOf(sequence));
  if (whole !== undefined) return `:${whole}:`;
  const parts: string[] = [];
  let known = false;
  for (const element of sequence.split('\u200D')) {
    if (element === '') continue;
    let name = map.get(keyOf(element));
    if (name === undefined) {
      // A pictograph with a tone CLDR does not list: name the pictograph.
      const bare = element.replace(/\p{Emoji_Modifier}/gu, '');
      if (bare !== '' && bare !== element) name = map.get(keyOf(bare));
    }
    if (name === undefined && /^\p{Regional_Indicator}{2}$/u.test(element)) {
      // Two regional indicators that are not a flag: name each letter.
      const letters = [...element].map((ch) => map.get(keyOf(ch)));
      if (letters.every((l) => l !== undefined)) name = letters.join(' ').replace(/ /g, ': :');
    }
    if (name !== undefined) {
      known = true;
      parts.push(`:${name}:`);
    } else {
      // Keep unknown pictographs whole (with their modifiers) rather than dropping information.
      parts.push(...(element.match(ELEMENT_RE) ?? [element]));
    }
  }
  return known ? parts.join(' ') : undefined;
}
