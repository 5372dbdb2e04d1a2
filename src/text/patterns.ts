/**
 * The shapes of tweet units (URLs, e-mails, mentions, hashtags) shared by the normalizer and the word
 * tokenizer, so both agree on where a URL or a hashtag starts and ends. Sources for flag `u`.
 *
 * Each unit has a core (what it looks like) and a bounded form (the core plus what may not come just
 * before it: `a@b` is no mention, `C#` no hashtag). The normalizer also accepts a unit's core right
 * after another unit (`@ana#tag`, `😀#tag`), because removing or replacing the first unit must not
 * turn text that was not a unit into one.
 */

/** Characters of a word: letters, combining marks, digits, underscore. */
export const WORD_CHAR = String.raw`[\p{L}\p{M}\p{N}_]`;

/**
 * Units that may start right after a word without a space — a URL (`Dealhttp://…`, a space lost to
 * truncation) or a keycap emoji (`top1️⃣`) — and so end the word, mention or hashtag before them.
 */
export const GLUED_UNIT = String.raw`(?:[hH][tT][tT][pP][sS]?:\/\/|[#*0-9]\uFE0F?\u20E3)`;

// A URL runs to the next space or quote/angle bracket; trailing sentence punctuation is not part of it
// (`see http://x.co/a.` ends before the dot) — but `…` stays, as it marks a URL Twitter truncated.
const URL_BODY = String.raw`[^\s<>"“”]*[^\s<>"“”.,;:!?'’)\]}]`;
const URL_SCHEME_CORE = String.raw`[hH][tT][tT][pP][sS]?:\/\/${URL_BODY}`;
const URL_HOST_CORE = String.raw`(?:[wW]{3}\.|pic\.twitter\.com\/)${URL_BODY}`;
// The bare word `http`/`https` (any case, as lower-casing must not create one): the placeholder the
// cardiffnlp data sets (and this normalizer) leave where a URL was.
// (`httpshttp://x` is the word `https` and a URL, so that it stays so once the URL is replaced.)
const URL_PLACEHOLDER_CORE = String.raw`[hH][tT][tT][pP][sS]?(?=${GLUED_UNIT}|(?![\p{L}\p{M}\p{N}_@\/\-]|:\/\/))`;
const NOT_AFTER_URL = String.raw`(?<![\p{L}\p{M}\p{N}_@.\/\-])`;

/** `http(s)://…`, `www.…`, `pic.twitter.com/…` URLs, and the bare word `http`/`https`. */
export const URL_SOURCE = `(?:${URL_SCHEME_CORE}|${NOT_AFTER_URL}(?:${URL_HOST_CORE}|${URL_PLACEHOLDER_CORE}))`;
/** {@link URL_SOURCE} without its left-context condition. */
export const URL_CORE = `(?:${URL_SCHEME_CORE}|${URL_HOST_CORE}|${URL_PLACEHOLDER_CORE})`;

/** `name@example.com`. */
export const EMAIL_SOURCE = String.raw`(?<![\p{L}\p{M}\p{N}_.+\-])[\p{L}\p{N}_.+\-]+@[\p{L}\p{N}\-]+(?:\.[\p{L}\p{N}\-]+)*\.\p{L}{2,}(?![\p{L}\p{M}\p{N}_])`;

// A URL or the bare word http/https right after a hashtag's `.`, `:` or `/` (`#BuenDía:http`): the hashtag still
// ends there, as it will once the URL is removed or replaced (`#BuenDía:`).
const URL_AFTER_PUNCT = String.raw`(?:${URL_SCHEME_CORE}|${URL_PLACEHOLDER_CORE})`;
const BODY_CHAR = String.raw`(?:(?!${GLUED_UNIT})${WORD_CHAR})`;
const BODY_END = String.raw`(?=${GLUED_UNIT}|(?!${WORD_CHAR}))`;

/** {@link MENTION_SOURCE} without its left-context condition. */
export const MENTION_CORE = String.raw`@(?=[\p{L}\p{N}_])${BODY_CHAR}+${BODY_END}`;
/** `@user`, not inside a word or an e-mail (`.@user` is a mention: Twitter's public-reply idiom). */
export const MENTION_SOURCE = String.raw`(?<![\p{L}\p{M}\p{N}_@])${MENTION_CORE}`;

/**
 * {@link HASHTAG_SOURCE} without its left-context condition: `#`, a body that starts with a letter,
 * digit or `_` (so the keycap `#️⃣` is not a hashtag) and has at least one letter (`#1` is not a
 * hashtag, as on Twitter), not run straight into a domain (`#www.x.com`, which would become a URL
 * once the `#` is stripped).
 */
export const HASHTAG_CORE =
  String.raw`#(?=[\p{L}\p{N}_])(?=${BODY_CHAR}*?(?!https?:\/\/)\p{L})${BODY_CHAR}+${BODY_END}(?![.:\/](?!${URL_AFTER_PUNCT})${WORD_CHAR})`;
/** `#BuenDía`, with `#` not inside a word or an entity (`C#`, `&#38;` are not hashtags). */
export const HASHTAG_SOURCE = String.raw`(?<![\p{L}\p{M}\p{N}_&#@])${HASHTAG_CORE}`;
