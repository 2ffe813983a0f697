/**
 * rnn.norm (q6 of the derivations bank): log₁₀ of the spectral norm of ∏_{j=2}^{T} ∂s_j/∂s_{j−1}
 * and the regime it decides, checked against the test's own computation: the forward pass in
 * plain arithmetic, each ∂s_j/∂s_{j−1} by central finite differences (and s_1 ↦ s_T at once where
 * that is well-conditioned), the product's norm by the 2×2
 * closed form. The catalogued mistakes' values are recomputed the same way.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateKeyVariants, parseBank, practiceSecret, practiceStudents, type RnnInstance } from '../src/index.js';

const bank = parseBank(JSON.parse(readFileSync('question-banks/derivations.json', 'utf8')));
const variants = generateKeyVariants(bank, practiceSecret('rnn-norm'), practiceStudents(30).map((id) => ({ id, name: id })));

type M = number[][];
const mul = (a: M, b: M): M => a.map((row) => b[0]!.map((_, j) => row.reduce((acc, x, k) => acc + x * b[k]![j]!, 0)));
function norm2x2(m: M): number {
  const [[a, b], [c, d]] = m as [[number, number], [number, number]];
  const F = a * a + b * b + c * c + d * d, det = a * d - b * c;
  return Math.sqrt((F + Math.sqrt(Math.max(F * F - 4 * det * det, 0))) / 2);
}

/** s_t = tanh(U x_t + W s_{t−1} + b), from step `from` (1-based) with state `s` before it */
function run(inst: RnnInstance, s: number[], from: number): number[][] {
  const out: number[][] = [];
  for (let t = from; t <= inst.x.length; t++) {
    const x = inst.x[t - 1]!;
    s = inst.W.map((row, i) => Math.tanh(inst.U[i]!.reduce((acc, u, k) => acc + u * x[k]!, 0) + row.reduce((acc, w, k) => acc + w * s[k]!, 0) + inst.b[i]!));
    out.push(s);
  }
  return out;
}

/** the map s_{from−1} ↦ s_to by central differences: column k is (s_to(s + h e_k) − s_to(s − h e_k)) / 2h */
function finiteDifference(inst: RnnInstance, s: number[], from: number, to: number, h = 1e-6): M {
  const H = s.length;
  const at = (v: number[]) => run({ ...inst, x: inst.x.slice(0, to) }, v, from).at(-1)!;
  const cols = s.map((_, k) => {
    const plus = s.slice(), minus = s.slice();
    plus[k]! += h; minus[k]! -= h;
    const a = at(plus), b = at(minus);
    return a.map((v, i) => (v - b[i]!) / (2 * h));
  });
  return Array.from({ length: H }, (_, i) => cols.map((c) => c[i]!));
}

const q6 = variants.map((v) => v.questions.find((q) => q.id === 'q6')!);

describe('rnn.norm in the derivations bank', () => {
  it('log₁₀ ‖∂s_T/∂s_1‖₂ matches finite differences (step by step, and of s_1 ↦ s_T) and the 2×2 closed form', () => {
    for (const q of q6) {
      const inst = q.instance as RnnInstance;
      expect(inst.W.length).toBe(2);
      // no input entry is 0 (the steered draws would otherwise keep every state at 0)
      expect(inst.x.flat().every((x) => x !== 0)).toBe(true);
      const a = q.parts.find((p) => p.id === 'q6.a')!;
      const states = [inst.s0, ...run(inst, inst.s0, 1)];
      const T = inst.x.length;
      // each ∂s_j/∂s_{j−1} by finite differences of one step, multiplied latest step on the left
      const steps = Array.from({ length: T - 1 }, (_, n) => finiteDifference(inst, states[n + 1]!, n + 2, n + 2));
      const want = Math.log10(norm2x2(steps.reduce((acc, m) => mul(m, acc))));
      // and, where the whole map s_1 ↦ s_T is well-conditioned for differences, that map at once
      if (Math.abs(want) < 3) {
        const whole = Math.log10(norm2x2(finiteDifference(inst, states[1]!, 2, T, 1e-6 / Math.max(1, 10 ** want))));
        expect(Math.abs((a.answer as number) - whole)).toBeLessThan(1e-5);
      }
      expect(Math.abs((a.answer as number) - want)).toBeLessThan(1e-5);
    }
  });

  it('the regime is the one that norm decides, and each regime is drawn', () => {
    const seen = new Set<string>();
    for (const q of q6) {
      const log = q.parts.find((p) => p.id === 'q6.a')!.answer as number;
      const regime = q.parts.find((p) => p.id === 'q6.b')!.answer as string;
      expect(regime).toBe(log < -2 ? 'vanishing' : log > 2 ? 'exploding' : 'neither');
      // clear of the thresholds: rounding cannot flip it
      expect(Math.min(Math.abs(log + 2), Math.abs(log - 2))).toBeGreaterThanOrEqual(0.5);
      seen.add(regime);
    }
    expect([...seen].sort()).toEqual(['exploding', 'neither', 'vanishing']);
  });

  it('the catalogued mistakes are the products a student would get, and distinguishable', () => {
    let reversedSeen = 0;
    for (const q of q6) {
      const inst = q.instance as RnnInstance;
      const s = run(inst, inst.s0, 1);
      const T = s.length;
      const J = (j: number, d: (v: number) => number): M => inst.W.map((row, i) => row.map((w) => d(s[j - 1]![i]!) * w));
      const latestLeft = (d: (v: number) => number) => Array.from({ length: T - 1 }, (_, n) => J(n + 2, d)).reduce((acc, m) => mul(m, acc));
      const reversed = Array.from({ length: T - 1 }, (_, n) => J(n + 2, (v) => 1 - v * v)).reduce((acc, m) => mul(acc, m));
      const a = q.parts.find((p) => p.id === 'q6.a')!;
      const mistakes = new Map((a.mistakes ?? []).map((m) => [m.id, m.value as number]));
      // rounding: the key's mistakes use the printed states, so allow the sheet's precision
      const close = (got: number | undefined, want: number) => expect(Math.abs(got! - want)).toBeLessThan(2e-3);
      close(mistakes.get('w-power-plus-one'), Math.log10(norm2x2(mul(latestLeft((v) => 1 - v * v), inst.W))));
      if (mistakes.has('jacobian-product-reversed')) {
        reversedSeen++;
        close(mistakes.get('jacobian-product-reversed'), Math.log10(norm2x2(reversed)));
        close(mistakes.get('missing-tanh-prime'), Math.log10(norm2x2(latestLeft(() => 1))));
        close(mistakes.get('tanh-prime-as-tanh'), Math.log10(norm2x2(latestLeft((v) => v))));
      }
      for (const value of mistakes.values()) expect(Math.abs(value - (a.answer as number))).toBeGreaterThan(0.02);
    }
    expect(reversedSeen).toBeGreaterThan(0);
  });
});
