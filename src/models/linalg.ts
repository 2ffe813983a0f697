/**
 * Plain dense linear algebra on arrays of rows, for the closed-form recurrences of MATH.md.
 * Deliberately separate from the autodiff engine: the two are tested against each other.
 */
import type { Mat, Vec } from './instance.js';

export function zeros(rows: number, cols: number): Mat {
  return Array.from({ length: rows }, () => new Array<number>(cols).fill(0));
}

export function identity(n: number): Mat {
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
}

export function matVec(m: Mat, v: Vec): Vec {
  return m.map((row) => row.reduce((acc, mij, j) => acc + mij * v[j]!, 0));
}

/** mᵀ v */
export function matTVec(m: Mat, v: Vec): Vec {
  const out = new Array<number>(m[0]!.length).fill(0);
  m.forEach((row, i) => row.forEach((mij, j) => (out[j]! += mij * v[i]!)));
  return out;
}

export function matMul(a: Mat, b: Mat): Mat {
  return a.map((row) => b[0]!.map((_, j) => row.reduce((acc, aik, k) => acc + aik * b[k]![j]!, 0)));
}

export function transpose(m: Mat): Mat {
  return m[0]!.map((_, j) => m.map((row) => row[j]!));
}

/** diag(d) · m: scales row i by d[i]. */
export function diagTimes(d: Vec, m: Mat): Mat {
  return m.map((row, i) => row.map((v) => d[i]! * v));
}

export function diag(d: Vec): Mat {
  return d.map((di, i) => d.map((_, j) => (i === j ? di : 0)));
}

export function outer(a: Vec, b: Vec): Mat {
  return a.map((ai) => b.map((bj) => ai * bj));
}

export function addVec(a: Vec, b: Vec): Vec {
  return a.map((v, i) => v + b[i]!);
}

export function subVec(a: Vec, b: Vec): Vec {
  return a.map((v, i) => v - b[i]!);
}

export function hadamard(a: Vec, b: Vec): Vec {
  return a.map((v, i) => v * b[i]!);
}

export function addMat(a: Mat, b: Mat): Mat {
  return a.map((row, i) => row.map((v, j) => v + b[i]![j]!));
}

export function scaleMat(a: Mat, s: number): Mat {
  return a.map((row) => row.map((v) => v * s));
}

export function sumMats(ms: readonly Mat[], rows: number, cols: number): Mat {
  return ms.reduce(addMat, zeros(rows, cols));
}

export function sumVecs(vs: readonly Vec[], n: number): Vec {
  return vs.reduce(addVec, new Array<number>(n).fill(0));
}

export function dot(a: Vec, b: Vec): number {
  return a.reduce((acc, v, i) => acc + v * b[i]!, 0);
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** tanh'(x) written from tanh itself: 1 − tanh²(x) (MATH.md §1). */
export function tanhPrime(x: number): number {
  const t = Math.tanh(x);
  return 1 - t * t;
}

/** σ'(x) = σ(x)(1 − σ(x)) (MATH.md §1). */
export function sigmoidPrime(x: number): number {
  const s = sigmoid(x);
  return s * (1 - s);
}
