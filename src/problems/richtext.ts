/**
 * RichText (types.ts): plain text with inline TeX between `$…$`; `\$` is a literal dollar.
 * Split into segments so the renderer can escape the text and give the math to KaTeX.
 */
export type Segment = { text: string } | { math: string };

export function splitRichText(source: string): Segment[] {
  const segments: Segment[] = [];
  let text = '';
  let i = 0;
  while (i < source.length) {
    const ch = source[i]!;
    if (ch === '\\' && source[i + 1] === '$') {
      text += '$';
      i += 2;
      continue;
    }
    if (ch === '$') {
      const end = findClosing(source, i + 1);
      if (end < 0) throw new SyntaxError(`unclosed $ in rich text: ${JSON.stringify(source.slice(i, i + 40))}`);
      if (text) segments.push({ text });
      text = '';
      segments.push({ math: source.slice(i + 1, end) });
      i = end + 1;
      continue;
    }
    text += ch;
    i++;
  }
  if (text) segments.push({ text });
  return segments;
}

/** The closing `$`, skipping `\$` inside the math. */
function findClosing(source: string, from: number): number {
  for (let i = from; i < source.length; i++) {
    if (source[i] === '\\') {
      i++;
      continue;
    }
    if (source[i] === '$') return i;
  }
  return -1;
}

/** The TeX snippets of a rich text, for checking they all typeset. */
export function mathOf(source: string): string[] {
  return splitRichText(source).flatMap((s) => ('math' in s ? [s.math] : []));
}
