/** Plain-text helpers every layer may use. */

/**
 * `text` cut to at most `n` characters (code points, so a pair of surrogates stays whole), ending
 * in "…" when cut: a name in a printed header, or input echoed in a message, stays small. Walks only
 * the first `n` code points, so a huge string costs no more than a short one.
 */
export function clip(text: string, n = 64): string {
  if (text.length <= n) return text;
  const step = (at: number) => at + (text.codePointAt(at)! > 0xffff ? 2 : 1);
  let at = 0;
  for (let count = 0; count < n - 1 && at < text.length; count++) at = step(at);
  // n code points or fewer in all: nothing to cut
  if (at >= text.length || step(at) >= text.length) return text;
  return `${text.slice(0, at).trimEnd()}…`;
}
