/**
 * Reading a number as students type it, for the grader (and so for bulk grading, the API and the
 * self-check page alike). Accepted, beside plain decimal and `e` notation:
 *
 *   decimal comma   0,7012 → 0.7012, when it cannot be a thousands separator (1,234 alone can: refused, and said so)
 *   fractions       1/2, -3/4, 1.5/2 (two numbers, one slash; ½ too)
 *   minus signs     − (U+2212), – and — as a leading sign, full-width － and ＋
 *   full width      ０．５ and the like (Chinese and Japanese input methods), through NFKC
 *   powers of ten   1.2×10^-3, 1.2x10^-3, 1.2·10^(-3), 1.2*10^{-3}, 1.2×10⁻³
 *
 * Anything else is refused with a sentence saying what to type instead. Every pattern below is
 * anchored and has no nested quantifiers over the same characters: linear time on any input.
 */

const MAX_LITERAL = 64;
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;
const SUPERSCRIPT: Record<string, string> = { '⁰': '0', '¹': '1', '²': '2', '³': '3', '⁴': '4', '⁵': '5', '⁶': '6', '⁷': '7', '⁸': '8', '⁹': '9', '⁻': '-', '⁺': '+' };

/** A number read, or the reason it is not, as a clause ("write 0.7012 with a point"). */
export type NumberReading = { value: number } | { why: string };

/** A decimal mantissa, with a decimal comma read when unambiguous. */
function mantissa(s: string): NumberReading {
  if (DECIMAL.test(s)) return { value: Number(s) };
  const commas = s.split(',').length - 1;
  if (commas > 0 && s.includes('.')) return { why: 'it has both a comma and a point: write it with one decimal point and no thousands separators, like 1234.5' };
  if (commas > 1) return { why: 'it has several commas: type one number per box, with a point for the decimals' };
  if (commas === 1) {
    const m = /^([+-]?)(\d*),(\d+)$/.exec(s);
    if (!m) return { why: 'a comma may only stand between digits' };
    const [, sign, whole, frac] = m as unknown as [string, string, string, string];
    const pointed = `${sign}${whole || '0'}.${frac}`;
    // 1,234 or 12,500 could be a thousands separator: say so rather than guess
    if (frac.length === 3 && /^[1-9]\d{0,2}$/.test(whole)) {
      return { why: `${s} could be ${pointed} or ${sign}${whole}${frac}: write ${pointed} with a point, or ${sign}${whole}${frac} without the comma` };
    }
    return { value: Number(pointed) };
  }
  return { why: '' };
}

/** A number with an optional power of ten (already in `e` form). */
function scientific(s: string): NumberReading {
  const e = /^([^eE]*)[eE]([+-]?\d+)$/.exec(s);
  const m = mantissa(e ? e[1]! : s);
  if (!('value' in m)) return m;
  return { value: e ? Number(`${m.value}e${e[2]}`) : m.value };
}

/** Whether a refusal has its own sentence; a blank one gets the general advice. */
const GENERAL = 'type digits with a decimal point, like 0.7012, -1.5e-3, 2.4×10^-3 or 1/2';

/**
 * A submitted scalar: a finite number, or a string a student typed (see the forms above). Never
 * throws; a refusal's clause says what to type instead.
 */
export function readNumber(v: unknown): NumberReading {
  if (typeof v === 'number') return Number.isFinite(v) ? { value: v } : { why: 'it is not a finite number' };
  if (typeof v !== 'string') return { why: GENERAL };
  if (v.length > MAX_LITERAL) return { why: `it is longer than ${MAX_LITERAL} characters` };
  // superscript powers first (NFKC would make 10⁻³ into 10-3), then full width and the like
  let s = v.replace(/[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+/g, (sup) => `^${[...sup].map((c) => SUPERSCRIPT[c]).join('')}`);
  s = s.normalize('NFKC').trim()
    .replace(/[\u2212\u2012\u2013\u2014\uFE63]/g, '-')
    .replace(/[\u2044\u2215]/g, '/')
    .replace(/\u3002/g, '.'); // the ideographic full stop, typed for a point by some input methods
  if (s === '') return { why: 'it is empty' };
  if (/\d\s+[\d.,]|[\d.,]\s+\d/.test(s)) return { why: 'it has spaces between digits: type one number per box, without spaces' };
  s = s.replace(/\s+/g, '');
  // a power of ten: ×10^-3, x10^(-3), ·10^{-3}, *10^-3
  const power = /^(.*?)(?:[×xX·*⋅∙])10\^(?:\(([+-]?\d+)\)|\{([+-]?\d+)\}|([+-]?\d+))$/.exec(s);
  if (power) {
    const m = scientific(power[1]!);
    if (!('value' in m)) return m.why ? m : { why: GENERAL };
    if (/[eE]/.test(power[1]!)) return { why: 'it has two powers of ten' };
    s = `${power[1]}e${power[2] ?? power[3] ?? power[4]}`;
  } else if (/10\^/.test(s)) {
    return { why: 'write a power of ten as 2.4×10^-3 or 2.4e-3' };
  }
  if (s.includes('/')) {
    const parts = s.split('/');
    if (parts.length !== 2) return { why: 'write a fraction as two numbers and one slash, like 1/2' };
    const top = scientific(parts[0]!), bottom = scientific(parts[1]!);
    if (!('value' in top) || !('value' in bottom)) {
      const why = ('why' in top && top.why) || ('why' in bottom && bottom.why);
      return { why: why || 'write a fraction as two numbers and one slash, like 1/2 or -3/4' };
    }
    if (bottom.value === 0) return { why: 'it divides by zero' };
    const q = top.value / bottom.value;
    return Number.isFinite(q) ? { value: q } : { why: 'it is too large' };
  }
  const read = scientific(s);
  if ('value' in read) return Number.isFinite(read.value) ? read : { why: 'it is too large' };
  if (read.why) return read;
  if (/%$/.test(s)) return { why: 'write a percentage as a decimal: 5% is 0.05' };
  if (/[\d.)]\s*[-+*×÷]\s*[\d.(]/.test(s) && !/^[+-]?[\d.]+[eE][+-]?\d+$/.test(s)) return { why: 'it is a calculation: work it out and type the result' };
  return { why: GENERAL };
}
