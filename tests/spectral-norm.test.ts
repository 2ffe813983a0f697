/**
 * spectralNorm (src/models/linalg.ts, power iteration on AᵀA) against computations that share
 * nothing with it: the 2×2 closed form σ²_max = (F + √(F² − 4 det²))/2 with F the sum of the
 * squared entries, the 3×3 symmetric eigenvalues by the trigonometric formula, and matrices whose
 * norm is known by construction.
 */
import { describe, expect, it } from 'vitest';
import { spectralNorm } from '../src/models/linalg.js';

/** a seeded LCG: the test's own randomness */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function closedForm2x2(m: number[][]): number {
  const [[a, b], [c, d]] = m as [[number, number], [number, number]];
  const F = a * a + b * b + c * c + d * d;
  const det = a * d - b * c;
  return Math.sqrt((F + Math.sqrt(Math.max(F * F - 4 * det * det, 0))) / 2);
}

/** the largest eigenvalue of a symmetric 3×3 matrix, by the trigonometric (Smith 1961) formula */
function largestEigenSym3(m: number[][]): number {
  const [[a11, a12, a13], [, a22, a23], [, , a33]] = m as [[number, number, number], [number, number, number], [number, number, number]];
  const p1 = a12 * a12 + a13 * a13 + a23 * a23;
  const q = (a11 + a22 + a33) / 3;
  const p2 = (a11 - q) ** 2 + (a22 - q) ** 2 + (a33 - q) ** 2 + 2 * p1;
  const p = Math.sqrt(p2 / 6);
  if (p === 0) return q;
  const B = m.map((row, i) => row.map((v, j) => (v - (i === j ? q : 0)) / p));
  const detB = B[0]![0]! * (B[1]![1]! * B[2]![2]! - B[1]![2]! * B[2]![1]!)
    - B[0]![1]! * (B[1]![0]! * B[2]![2]! - B[1]![2]! * B[2]![0]!)
    + B[0]![2]! * (B[1]![0]! * B[2]![1]! - B[1]![1]! * B[2]![0]!);
  const r = Math.min(1, Math.max(-1, detB / 2));
  return q + 2 * p * Math.cos(Math.acos(r) / 3);
}

function ata(m: number[][]): number[][] {
  const n = m[0]!.length;
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => m.reduce((acc, row) => acc + row[i]! * row[j]!, 0)));
}

describe('spectralNorm', () => {
  it('known matrices', () => {
    expect(spectralNorm([[3, 0], [0, -2]])).toBeCloseTo(3, 12);
    expect(spectralNorm([[0, 2], [0, 0]])).toBeCloseTo(2, 12);
    // 1.5 × a rotation: every singular value is 1.5
    const t = 0.7;
    expect(spectralNorm([[1.5 * Math.cos(t), -1.5 * Math.sin(t)], [1.5 * Math.sin(t), 1.5 * Math.cos(t)]])).toBeCloseTo(1.5, 12);
    // rank one u vᵀ: ‖u‖·‖v‖
    const u = [1, -2, 2], v = [0.5, 0.5, -0.5];
    expect(spectralNorm(u.map((ui) => v.map((vj) => ui * vj)))).toBeCloseTo(3 * Math.sqrt(0.75), 12);
    // symmetric tridiagonal (2, 1): eigenvalues 2 − √2, 2, 2 + √2
    expect(spectralNorm([[2, 1, 0], [1, 2, 1], [0, 1, 2]])).toBeCloseTo(2 + Math.SQRT2, 12);
    // a start vector e_1 orthogonal to the top singular vector still finds it
    expect(spectralNorm([[1, 0], [0, 5]])).toBeCloseTo(5, 12);
    expect(spectralNorm([[0, 0], [0, 0]])).toBe(0);
  });

  it('2×2: the closed form, over 500 random matrices', () => {
    const rng = lcg(19);
    for (let n = 0; n < 500; n++) {
      const m = [[rng() * 4 - 2, rng() * 4 - 2], [rng() * 4 - 2, rng() * 4 - 2]];
      const want = closedForm2x2(m);
      expect(Math.abs(spectralNorm(m) - want) / want).toBeLessThan(1e-9);
    }
  });

  it('3×3: the trigonometric eigenvalue of AᵀA, over 300 random matrices', () => {
    const rng = lcg(23);
    for (let n = 0; n < 300; n++) {
      const m = [0, 1, 2].map(() => [0, 1, 2].map(() => rng() * 4 - 2));
      const want = Math.sqrt(largestEigenSym3(ata(m)));
      expect(Math.abs(spectralNorm(m) - want) / want).toBeLessThan(1e-9);
      // and it is a maximum of ‖A v‖ over unit v: no sampled direction beats it
      for (let k = 0; k < 20; k++) {
        const v = [rng() - 0.5, rng() - 0.5, rng() - 0.5];
        const len = Math.hypot(...v);
        const Av = m.map((row) => row.reduce((acc, x, j) => acc + x * v[j]! / len, 0));
        expect(Math.hypot(...Av)).toBeLessThanOrEqual(want * (1 + 1e-12));
      }
    }
  });

  it('tiny and huge products do not underflow or overflow', () => {
    const m = [[1e-200, 2e-200], [3e-200, 4e-200]];
    expect(spectralNorm(m) / 1e-200).toBeCloseTo(closedForm2x2([[1, 2], [3, 4]]), 10);
    const big = [[1e200, 2e200], [3e200, 4e200]];
    expect(spectralNorm(big) / 1e200).toBeCloseTo(closedForm2x2([[1, 2], [3, 4]]), 10);
  });
});
