/** How the grader reads numbers as students type them, and what it says when it cannot (issue 15). */
import { describe, expect, it } from 'vitest';
import { readNumber } from '../src/grade/number.js';

const value = (s: unknown) => { const r = readNumber(s); return 'value' in r ? r.value : `refused: ${r.why}`; };
const why = (s: unknown) => { const r = readNumber(s); return 'why' in r ? r.why : `read as ${r.value}`; };

describe('readNumber accepts', () => {
  it.each([
    ['0.7012', 0.7012], ['-1.5e-3', -0.0015], ['+2', 2], ['.5', 0.5], [' 3 ', 3], [0.25, 0.25],
    // decimal comma, when it cannot be a thousands separator
    ['0,7012', 0.7012], ['-0,5', -0.5], [',5', 0.5], ['12,5', 12.5], ['1,2345', 1.2345], ['1234,567', 1234.567], ['0,123', 0.123], ['1,5e-3', 0.0015],
    // fractions
    ['1/2', 0.5], ['-3/4', -0.75], ['1.5/3', 0.5], ['½', 0.5], ['1 / 4', 0.25],
    // minus signs
    ['−0.5', -0.5], ['–0.5', -0.5], ['－0.5', -0.5], ['＋0.5', 0.5],
    // full width digits and point
    ['０．５', 0.5], ['－１．２５', -1.25], ['０。５', 0.5], ['１／２', 0.5],
    // powers of ten
    ['2.4×10^-3', 0.0024], ['2.4x10^-3', 0.0024], ['2.4X10^3', 2400], ['2.4·10^(-3)', 0.0024], ['2.4*10^{-3}', 0.0024], ['2.4 × 10^-3', 0.0024], ['2.4×10⁻³', 0.0024], ['2,4×10^-3', 0.0024], ['2.4E-3', 0.0024],
  ] as [unknown, number][])('%s → %s', (input, expected) => {
    expect(value(input)).toBeCloseTo(expected, 12);
  });
});

describe('readNumber refuses, saying what to type instead', () => {
  it.each([
    ['1,234', /could be 1\.234 or 1234: write 1\.234 with a point, or 1234 without the comma/],
    ['-12,500', /could be -12\.500 or -12500/],
    ['1,234.5', /both a comma and a point: write it with one decimal point and no thousands separators/],
    ['0,5,0,3', /several commas: type one number per box/],
    ['1,', /a comma may only stand between digits/],
    ['0.5 0.3', /spaces between digits/],
    ['1/2/3', /two numbers and one slash/],
    ['1/0', /divides by zero/],
    ['a/2', /two numbers and one slash/],
    ['2.4×10^', /power of ten as 2\.4×10\^-3/],
    ['1e3×10^2', /two powers of ten/],
    ['5%', /percentage as a decimal: 5% is 0\.05/],
    ['0.5+0.2', /a calculation: work it out/],
    ['twelve', /type digits with a decimal point, like 0\.7012/],
    ['', /empty/],
    ['1e999', /too large/],
    [Infinity, /not a finite number/],
    [true, /type digits/],
    ['1'.repeat(65), /longer than 64 characters/],
  ] as [unknown, RegExp][])('%s', (input, message) => {
    expect(why(input)).toMatch(message);
  });
});
