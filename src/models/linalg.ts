/**
 * Plain dense linear algebra on arrays of rows, for the closed-form recurrences of docs/math.md.
 * Deliberately separate from the autodiff engine: the two are tested against each other.
 * Written as index loops: the generator runs these thousands of times per class set.
 */
import type { Mat, Vec } from './instance.js';

export function zeroVec(n: number): Vec {
  const out: Vec = [];
  for (let i = 0; i < n; i++) out.push(0);
  return out;
}

export function zeros(rows: number, cols: number): Mat {
  const out: Mat = [];
  for (let i = 0; i < rows; i++) out.push(zeroVec(cols));
  return out;
}

export function identity(n: number): Mat {
  const out = zeros(n, n);
  for (let i = 0; i < n; i++) out[i]![i] = 1;
  return out;
}

export function matVec(m: Mat, v: Vec): Vec {
  const out: Vec = [];
  for (let i = 0; i < m.length; i++) {
    const row = m[i]!;
    let acc = 0;
    for (let j = 0; j < row.length; j++) acc += row[j]! * v[j]!;
    out.push(acc);
  }
  return out;
}

/** mᵀ v */
export function matTVec(m: Mat, v: Vec): Vec {
  const out = zeroVec(m[0]!.length);
  for (let i = 0; i < m.length; i++) {
    const row = m[i]!, vi = v[i]!;
    for (let j = 0; j < row.length; j++) out[j]! += row[j]! * vi;
  }
  return out;
}

export function matMul(a: Mat, b: Mat): Mat {
  const n = a.length, m = b.length, p = b[0]!.length;
  const out = zeros(n, p);
  for (let i = 0; i < n; i++) {
    const row = a[i]!, o = out[i]!;
    for (let k = 0; k < m; k++) {
      const aik = row[k]!, bk = b[k]!;
      for (let j = 0; j < p; j++) o[j]! += aik * bk[j]!;
    }
  }
  return out;
}

/** diag(d) · m: scales row i by d[i]. */
export function diagTimes(d: Vec, m: Mat): Mat {
  const out: Mat = [];
  for (let i = 0; i < m.length; i++) {
    const row = m[i]!, r: Vec = [];
    for (let j = 0; j < row.length; j++) r.push(d[i]! * row[j]!);
    out.push(r);
  }
  return out;
}

export function diag(d: Vec): Mat {
  const out = zeros(d.length, d.length);
  for (let i = 0; i < d.length; i++) out[i]![i] = d[i]!;
  return out;
}

export function outer(a: Vec, b: Vec): Mat {
  const out: Mat = [];
  for (let i = 0; i < a.length; i++) {
    const r: Vec = [];
    for (let j = 0; j < b.length; j++) r.push(a[i]! * b[j]!);
    out.push(r);
  }
  return out;
}

export function addVec(a: Vec, b: Vec): Vec {
  const out: Vec = [];
  for (let i = 0; i < a.length; i++) out.push(a[i]! + b[i]!);
  return out;
}

export function subVec(a: Vec, b: Vec): Vec {
  const out: Vec = [];
  for (let i = 0; i < a.length; i++) out.push(a[i]! - b[i]!);
  return out;
}

export function hadamard(a: Vec, b: Vec): Vec {
  const out: Vec = [];
  for (let i = 0; i < a.length; i++) out.push(a[i]! * b[i]!);
  return out;
}

export function addMat(a: Mat, b: Mat): Mat {
  const out: Mat = [];
  for (let i = 0; i < a.length; i++) out.push(addVec(a[i]!, b[i]!));
  return out;
}

export function sumMats(ms: readonly Mat[], rows: number, cols: number): Mat {
  const out = zeros(rows, cols);
  for (const m of ms) for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i]![j]! += m[i]![j]!;
  return out;
}

export function sumVecs(vs: readonly Vec[], n: number): Vec {
  const out = zeroVec(n);
  for (const v of vs) for (let i = 0; i < n; i++) out[i]! += v[i]!;
  return out;
}

export function dot(a: Vec, b: Vec): number {
  let acc = 0;
  for (let i = 0; i < a.length; i++) acc += a[i]! * b[i]!;
  return acc;
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** tanh'(x) written from tanh itself: 1 − tanh²(x) (docs/math.md §1). */
export function tanhPrime(x: number): number {
  const t = Math.tanh(x);
  return 1 - t * t;
}

/** σ'(x) = σ(x)(1 − σ(x)) (docs/math.md §1). */
export function sigmoidPrime(x: number): number {
  const s = sigmoid(x);
  return s * (1 - s);
}

export function transpose(m: Mat): Mat {
  const out = zeros(m[0]!.length, m.length);
  for (let i = 0; i < m.length; i++) for (let j = 0; j < m[i]!.length; j++) out[j]![i] = m[i]![j]!;
  return out;
}

/**
 * The spectral norm ‖A‖₂ = σ_max(A), the largest singular value: √ of the largest eigenvalue of
 * AᵀA, found by power iteration (docs/math.md §2.3). AᵀA is symmetric and positive semi-definite,
 * so from any start with a component along its top eigenvector the iterates converge to it; one
 * basis vector e_i always has such a component, so the largest estimate over the starts e_1 … e_n
 * is σ_max. A is scaled by its largest entry first, so a product of many small (or large)
 * Jacobians neither underflows nor overflows in AᵀA.
 */
export function spectralNorm(a: Mat, iterations = 500): number {
  let scale = 0;
  for (const row of a) for (const v of row) scale = Math.max(scale, Math.abs(v));
  if (scale === 0 || !Number.isFinite(scale)) return scale;
  const m = a.map((row) => row.map((v) => v / scale));
  const ata = matMul(transpose(m), m);
  const n = ata.length;
  let best = 0;
  for (let start = 0; start < n; start++) {
    let v = zeroVec(n);
    v[start] = 1;
    let lambda = 0;
    for (let it = 0; it < iterations; it++) {
      const w = matVec(ata, v);
      const norm = Math.sqrt(dot(w, w));
      if (norm === 0) break;
      const next = w.map((x) => x / norm);
      // Rayleigh quotient of the normalised iterate: the eigenvalue estimate
      const estimate = dot(next, matVec(ata, next));
      const done = Math.abs(estimate - lambda) <= 1e-15 * Math.max(estimate, 1e-300);
      lambda = estimate;
      v = next;
      if (done) break;
    }
    best = Math.max(best, lambda);
  }
  return Math.sqrt(best) * scale;
}
