import { describe, expect, it } from 'vitest';
import { arithmeticLine, cdot, given, minus, num, squared, sum, times } from '../src/problems/arithmetic.js';
import { plainNumber, plainValue, roundValue, texExact, texFactor, texNumber, texSum, texValue } from '../src/problems/format.js';

describe('numbers as the sheet prints them', () => {
  it('keeps the significant trailing zeros of a computed value', () => {
    expect(plainNumber(0.305, 4)).toBe('0.3050');
    expect(plainNumber(1, 4)).toBe('1.000');
    expect(plainNumber(-0.1, 4)).toBe('-0.1000');
    expect(plainNumber(99.996, 4)).toBe('100.0');
    expect(plainNumber(0.30499999, 4)).toBe('0.3050');
    expect(plainNumber(-2.5e-5, 4)).toBe('-2.500e-5');
    expect(texNumber(-2.5e-5, 4)).toBe('-2.500 \\times 10^{-5}');
    expect(texNumber(0.000099996, 4)).toBe('1.000 \\times 10^{-4}');
    expect(plainNumber(0, 4)).toBe('0');
  });

  it('prints a number with more integer digits than figures as the rounded integer', () => {
    expect(plainNumber(12345.6, 4)).toBe('12350');
    expect(plainNumber(999999.7, 4)).toBe('1000000');
    expect(texNumber(5e6, 4)).toBe('5.000 \\times 10^{6}');
  });

  it('prints given data exactly, without padding', () => {
    expect(texExact(0.53)).toBe('0.53');
    expect(texExact(-0.1)).toBe('-0.1');
    expect(texExact(1)).toBe('1');
    expect(texExact(0.1 + 0.2)).toBe('0.3');
    expect(texExact(2.5e-5)).toBe('2.5 \\times 10^{-5}');
  });

  it('rounds answers to the printed value and prints them in keys and feedback the same way', () => {
    expect(roundValue(0.30499999, 4)).toBe(0.305);
    expect(roundValue([[1.00004, -2.5e-5]], 4)).toEqual([[1, -0.000025]]);
    expect(plainValue([[1, -2.5e-5], [0.305, 3]], 4)).toBe('1.000, -2.500e-5; 0.3050, 3.000');
    expect(texValue([0.305, 1], 4)).toBe('\\begin{bmatrix}0.3050\\\\1.000\\end{bmatrix}');
  });
});

describe('signed terms', () => {
  it('joins a sum with its signs: a - b, never a + -b; a leading negative keeps its minus', () => {
    expect(texSum([0.30684, -0.17934], 4)).toBe('0.3068 - 0.1793');
    expect(texSum([-0.5, 0.2], 4)).toBe('-0.5000 + 0.2000');
    expect(texSum(['(0.5)(-0.2)', '-3.200 \\times 10^{-5}', '\\begin{bmatrix}-1\\end{bmatrix}'], 4)).toBe('(0.5)(-0.2) - 3.200 \\times 10^{-5} + \\begin{bmatrix}-1\\end{bmatrix}');
  });

  it('parenthesises a negative or scientific factor of a \\cdot product', () => {
    expect(texFactor('-0.6990')).toBe('(-0.6990)');
    expect(texFactor('3.200 \\times 10^{-5}')).toBe('(3.200 \\times 10^{-5})');
    expect(texFactor('0.6990')).toBe('0.6990');
  });
});

describe('an arithmetic line of a worked solution', () => {
  it('prints computed values at the sheet\'s figures, given data exactly, and the signs as such', () => {
    expect(arithmeticLine(cdot(given(19), num(-0.69897)), 19 * -0.69897, 4)).toBe('19 \\cdot (-0.6990) = -13.28');
    expect(arithmeticLine(sum(times(given(0.3), given(-0.9)), times(given(0.6), num(0.25774)), given(-0.4)), 0.3 * -0.9 + 0.6 * 0.25774 - 0.4, 4))
      .toBe('(0.3)(-0.9) + (0.6)(0.2577) - 0.4 = -0.5154');
    expect(arithmeticLine(sum(given(1), minus(squared(num(-0.5)))), 0.75, 4)).toBe('1 - (-0.5000)^2 = 0.7500');
    expect(arithmeticLine(times(num(-3.2e-5), given(2)), -6.4e-5, 4)).toBe('(-3.200 \\times 10^{-5})(2) = -6.400 \\times 10^{-5}');
  });

  it('writes \\approx when the printed terms round to a neighbour of the exact total', () => {
    expect(arithmeticLine(sum(num(0.12344), num(0.12344)), 0.24688, 4)).toBe('0.1234 + 0.1234 \\approx 0.2469');
  });

  it('gives the terms more figures only where at the sheet\'s they miss the total by more than a unit of its last digit', () => {
    // 0.3068 - 0.3051 = 0.0017 is 23 units of 0.001720's last digit away
    expect(arithmeticLine(sum(num(0.30684), num(-0.30512)), 0.30684 - 0.30512, 4)).toBe('0.30684 - 0.30512 = 0.001720');
    // the given data stay as they are
    expect(arithmeticLine(sum(given(0.5), num(-0.49871)), 0.5 - 0.49871, 4)).toBe('0.5 - 0.49871 = 0.001290');
  });

  it('multiplies and adds matrices and vectors, a vector being a column', () => {
    expect(arithmeticLine(times(num([[1, 2], [3, 4]]), num([1, -1])), [-1, -1], 4))
      .toBe('\\begin{bmatrix}1.000 & 2.000\\\\3.000 & 4.000\\end{bmatrix}\\,\\begin{bmatrix}1.000\\\\-1.000\\end{bmatrix} = \\begin{bmatrix}-1.000\\\\-1.000\\end{bmatrix}');
    expect(arithmeticLine(sum(num([0.1, 0.2]), given([0.5, -0.5])), [0.6, -0.3], 4))
      .toBe('\\begin{bmatrix}0.1000\\\\0.2000\\end{bmatrix} + \\begin{bmatrix}0.5\\\\-0.5\\end{bmatrix} = \\begin{bmatrix}0.6000\\\\-0.3000\\end{bmatrix}');
  });
});
