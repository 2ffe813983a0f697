/**
 * The elements of a JSON array's text, found without parsing the whole: only brackets, braces and
 * strings are followed (`gradsheet solve` parses an array one element at a time).
 */

const QUOTE = 34, BACKSLASH = 92, COMMA = 44, OPEN_ARRAY = 91, CLOSE_ARRAY = 93, OPEN_OBJECT = 123, CLOSE_OBJECT = 125;

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

/**
 * [start, end) of each element of the array `text` holds, in order, as pairs in one array; null
 * when the text is not shaped like a non-empty array (then parse it whole, which words the error).
 * Each element's text still has to parse: if every one does, the whole text is valid JSON, and its
 * elements are exactly these.
 */
export function arrayElementSpans(text: string): number[] | null {
  const n = text.length;
  let i = 0;
  while (i < n && isSpace(text.charCodeAt(i))) i++;
  if (text.charCodeAt(i) !== OPEN_ARRAY) return null;
  const spans: number[] = [];
  let start = ++i;
  let depth = 1;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === BACKSLASH) i++;
        else if (d === QUOTE) break;
      }
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      depth++;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      if (--depth === 0) break;
    } else if (c === COMMA && depth === 1) {
      spans.push(start, i);
      start = i + 1;
    }
  }
  if (i >= n || text.charCodeAt(i) !== CLOSE_ARRAY) return null;
  spans.push(start, i);
  for (i++; i < n; i++) if (!isSpace(text.charCodeAt(i))) return null;
  return spans;
}
