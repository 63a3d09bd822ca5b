/**
 * Text PostgreSQL cannot store, found before anything is written. Redis would take it, but the
 * checkpoint could then never migrate: `jsonb` refuses the escape `\u0000` and escapes of lone
 * surrogates, and `text` columns refuse NUL (and a lone surrogate has no UTF-8 form at all, so
 * it would silently become U+FFFD). Checked at `put` / `putWrites`, so the caller gets a typed
 * error instead of a migration that fails on every run.
 */

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a string cannot be stored in a PostgreSQL `text` column, or undefined when it can. */
export function textProblem(value: string): string | undefined {
  if (value.includes('\u0000')) return 'contains U+0000 (NUL)';
  if (LONE_SURROGATE.test(value)) return 'contains a lone UTF-16 surrogate (not valid Unicode)';
  return undefined;
}

// `\u0000` or a lone surrogate escape, where the backslash is not itself escaped (`\\u0000` is
// the six characters \u0000 in the string, which is fine).
const UNSTORABLE_ESCAPE = /(?<!\\)(?:\\\\)*\\u(?:0000|d[89ab][0-9a-f]{2}(?!\\ud[c-f][0-9a-f]{2})|d[c-f][0-9a-f]{2})/i;
const PAIRED_SURROGATES = /(?<!\\)(?:\\\\)*\\ud[89ab][0-9a-f]{2}\\ud[c-f][0-9a-f]{2}/gi;
const utf8 = new TextDecoder();

/**
 * Why JSON text (serde output) cannot go into a PostgreSQL `jsonb` column, or undefined. The
 * fast path is one native byte search: `JSON.stringify` writes `\u` escapes only for control
 * characters and lone surrogates.
 */
export function jsonProblem(json: Uint8Array): string | undefined {
  const bytes = Buffer.from(json.buffer, json.byteOffset, json.byteLength);
  if (bytes.indexOf('\\u') === -1) return undefined;
  // Well-formed pairs (never written by JSON.stringify, but valid) are removed first, so only
  // the lone halves remain for the pattern to find.
  const text = utf8.decode(bytes).replace(PAIRED_SURROGATES, '');
  const found = UNSTORABLE_ESCAPE.exec(text);
  if (!found) return undefined;
  return /\\u0000$/i.test(found[0]) ? 'contains U+0000 (NUL)' : 'contains a lone UTF-16 surrogate (not valid Unicode)';
}
