import { Command, Option } from 'commander';
import { once } from 'node:events';
import { LenguaError } from '../errors.js';
import { NORMALIZE_PRESETS, normalize, resolveNormalizeOptions, type NormalizeOptions } from '../text/normalize.js';

/** The longest stdin line accepted (characters); a longer one is almost surely not one text. */
export const MAX_LINE_LENGTH = 1 << 20;

interface NormalizeFlags {
  preset: NormalizeOptions['preset'];
  language?: NormalizeOptions['language'];
  unicode?: NormalizeOptions['unicode'];
  htmlEntities?: boolean;
  lowercase?: boolean;
  stripAccents?: boolean;
  keepEnye?: boolean;
  urls?: NormalizeOptions['urls'];
  mentions?: NormalizeOptions['mentions'];
  hashtags?: NormalizeOptions['hashtags'];
  emoji?: NormalizeOptions['emoji'];
  squeezeRepeats?: boolean;
  collapseWhitespace?: boolean;
  json?: boolean;
}

// Each boolean option gets `--x` and `--no-x`; left out, the preset decides.
type Switch = 'htmlEntities' | 'lowercase' | 'stripAccents' | 'keepEnye' | 'squeezeRepeats' | 'collapseWhitespace';
const SWITCHES: Array<[Switch, string, string]> = [
  ['htmlEntities', 'html-entities', 'decode HTML entities (&amp; → &)'],
  ['lowercase', 'lowercase', 'lower-case the text (not URLs)'],
  ['stripAccents', 'strip-accents', 'remove accents (canción → cancion)'],
  ['keepEnye', 'keep-enye', 'keep ñ when stripping accents (default with --language es)'],
  ['squeezeRepeats', 'squeeze-repeats', 'squeeze letters repeated 3+ times (holaaaa → holaa)'],
  ['collapseWhitespace', 'collapse-whitespace', 'collapse runs of whitespace and trim'],
];

async function write(line: string): Promise<void> {
  if (!process.stdout.write(line)) await once(process.stdout, 'drain');
}

/** Lines of stdin, without their `\n`/`\r\n`, each at most {@link MAX_LINE_LENGTH} characters. */
async function* stdinLines(): AsyncGenerator<string> {
  process.stdin.setEncoding('utf8');
  let buffer = '';
  let line = 0;
  const check = (text: string): string => {
    line++;
    if (text.length > MAX_LINE_LENGTH) throw new LenguaError(`line longer than ${MAX_LINE_LENGTH} characters`, { file: 'stdin', line });
    return text.endsWith('\r') ? text.slice(0, -1) : text;
  };
  for await (const chunk of process.stdin as AsyncIterable<string>) {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      yield check(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
    }
    if (buffer.length > MAX_LINE_LENGTH) check(buffer);
  }
  if (buffer !== '') yield check(buffer);
}

async function run(texts: string[], flags: NormalizeFlags): Promise<void> {
  const given: NormalizeOptions = { preset: flags.preset };
  for (const key of ['language', 'unicode', 'urls', 'mentions', 'hashtags', 'emoji'] as const) {
    if (flags[key] !== undefined) (given as Record<string, unknown>)[key] = flags[key];
  }
  for (const [key] of SWITCHES) if (flags[key] !== undefined) given[key] = flags[key];
  const options = resolveNormalizeOptions(given);
  const emit = async (text: string): Promise<void> => {
    const normalized = normalize(text, options);
    await write(flags.json === true ? `${JSON.stringify({ text, normalized })}\n` : `${normalized}\n`);
  };
  if (texts.length > 0) {
    for (const text of texts) await emit(text);
    return;
  }
  for await (const text of stdinLines()) await emit(text);
}

export function register(program: Command): void {
  const command = program
    .command('normalize')
    .description('normalize texts for tweets or BERT (one result per line); reads one text per stdin line when no TEXT is given')
    .argument('[text...]', 'texts to normalize')
    .addOption(new Option('--preset <name>', 'option set to start from').choices(NORMALIZE_PRESETS).default('tweet'))
    .addOption(new Option('--language <lang>', 'language of the text: keeps ñ and names emoji in Spanish with es').choices(['en', 'es']))
    .addOption(new Option('--unicode <form>', 'Unicode normalization form').choices(['NFC', 'NFKC', 'none']))
    .addOption(new Option('--urls <mode>', 'URLs: keep, replace with "http", or remove').choices(['keep', 'http', 'remove']))
    .addOption(new Option('--mentions <mode>', 'mentions: keep, replace with "@user", or remove').choices(['keep', 'user', 'remove']))
    .addOption(new Option('--hashtags <mode>', 'hashtags: keep, strip the #, or split into words').choices(['keep', 'strip', 'split']))
    .addOption(new Option('--emoji <mode>', 'emoji: keep, remove, or turn into :words:').choices(['keep', 'remove', 'words']));
  for (const [, flag, help] of SWITCHES) {
    command.option(`--${flag}`, help).option(`--no-${flag}`, `do not ${help.split(' (')[0]}`);
  }
  command
    .option('--json', 'print JSON lines {"text","normalized"}')
    .addHelpText('after', '\nExamples:\n  lengua normalize --preset tweet "@ana Holaaaa &amp; adiós https://t.co/x"\n  lengua normalize --preset bert-uncased --json < tweets.txt\n')
    .action(async (texts: string[], flags: NormalizeFlags) => run(texts, flags));
}
