/**
 * lstm.paths: the paths from L_T back to W_hf^(k). The count comes from enumerating the
 * dependency graph, held here to a hand count (the notes' ② lists five paths for L₃ and
 * W_hf^(2)) and to the recursion N(c_t) = N(h_t) + N(c_{t+1}); of the listed paths exactly one is
 * valid; the group values and their sum are checked against finite differences of a forward pass
 * written here, with W_hf untied at step k — and, for a group, c_k's perturbation routed only into
 * the uses of that group; the right path is balanced across variants and every catalogued
 * mistake is told apart.
 */
import { describe, expect, it } from 'vitest';
import { allWithinTolerance } from '../src/contract/tolerance.js';
import type { LstmInstance } from '../src/models/instance.js';
import { solveLstm } from '../src/models/lstm.js';
import { drawQuestion, type DrawStats } from '../src/problems/generate.js';
import { isValidPath, listedPaths, lstmGraph, lstmPathsParams, lstmPathsType, pathCounts, pathGroup, pathsBetween, pathText, PATH_GROUPS } from '../src/problems/lstm-paths.js';
import { drawLstm, lstmParams } from '../src/problems/lstm-params.js';
import { rngFrom } from '../src/problems/random.js';
import { problemType } from '../src/problems/registry.js';

const L = (T: number) => ({ name: 'L' as const, t: T });
const Wk = (k: number) => ({ name: 'W' as const, t: k });

describe('the paths of the dependency graph', () => {
  it('lists the notes\' five paths from L₃ back to W_hf^(2)', () => {
    const paths = pathsBetween(lstmGraph(3, 2), L(3), Wk(2)).map(pathText).sort();
    // by hand, the notes' ②: through o₃, through the cell, through f₃, i₃, g₃
    expect(paths).toEqual([
      'L₃ → h₃ → o₃ → h₂ → c₂ → f₂ → W_hf^(2)',
      'L₃ → h₃ → c₃ → c₂ → f₂ → W_hf^(2)',
      'L₃ → h₃ → c₃ → f₃ → h₂ → c₂ → f₂ → W_hf^(2)',
      'L₃ → h₃ → c₃ → i₃ → h₂ → c₂ → f₂ → W_hf^(2)',
      'L₃ → h₃ → c₃ → g₃ → h₂ → c₂ → f₂ → W_hf^(2)',
    ].sort());
  });

  it('counts by hand for longer paths: 24 from L₃ to W_hf^(1), 1 to W_hf^(T)', () => {
    // N(h₂) = 4 (o₃; f₃, i₃, g₃ into c₃), N(c₂) = 5; N(h₁) = N(h₂) + 3 N(c₂) = 19, N(c₁) = 19 + 5 = 24
    expect(pathsBetween(lstmGraph(3, 1), L(3), Wk(1))).toHaveLength(24);
    expect(pathsBetween(lstmGraph(3, 3), L(3), Wk(3))).toHaveLength(1);
    expect(pathsBetween(lstmGraph(4, 1), L(4), Wk(1))).toHaveLength(115);
  });

  it('agrees with the recursion of the worked solution, and the groups split the paths', () => {
    for (let T = 2; T <= 5; T++) {
      const counts = pathCounts(T);
      for (let k = 1; k < T; k++) {
        const all = pathsBetween(lstmGraph(T, k), L(T), Wk(k));
        expect(all.length, `T = ${T}, k = ${k}`).toBe(counts.c[k]);
        const by = PATH_GROUPS.map((g) => all.filter((p) => pathGroup(p, k) === g).length);
        // cell: N(c_{k+1}); output: N(h_{k+1}); gates: 3 N(c_{k+1})
        expect(by).toEqual([counts.c[k + 1], counts.h[k + 1], 3 * counts.c[k + 1]!]);
        for (const p of all) expect(isValidPath(lstmGraph(T, k), p, T, k)).toBe(true);
      }
    }
  });

  it('lists one valid path and three invalid ones of the notes\' crossed-out kinds', () => {
    const rng = rngFrom('lstm-paths|listed');
    for (const [T, k] of [[3, 2], [3, 1], [4, 2], [2, 1]] as const) {
      const graph = lstmGraph(T, k);
      for (let n = 0; n < 40; n++) {
        const inst = drawLstm(rng, lstmParams.parse({ steps: T, initialState: 'random' }));
        const listed = listedPaths(inst, T, k);
        expect(isValidPath(graph, listed.answer, T, k)).toBe(true);
        const wrong = Object.values(listed.distractors);
        for (const p of wrong) expect(isValidPath(graph, p, T, k), pathText(p)).toBe(false);
        expect(new Set([listed.answer, ...wrong].map(pathText)).size).toBe(4);
        // each distractor starts at L_T and ends at W_hf^(k), like the answer: only the arrows tell
        for (const p of wrong) expect([p[0]!.name, p[p.length - 1]!.name]).toEqual(['L', 'W']);
      }
    }
  });
});

/** The scalar LSTM written out here, with W_hf at step k replaced by W_hf + ε and c_k's perturbation sent only where `route` says. */
function lossWith(inst: LstmInstance, k: number, eps: number, route: 'all' | 'cell' | 'output' | 'gates'): number {
  const s = (x: number) => 1 / (1 + Math.exp(-x));
  const w = (m: number[][]) => m[0]![0]!;
  const T = inst.x.length;
  let h = inst.h0[0]!, c = inst.c0[0]!;
  // the unperturbed c_k and h_k, and the perturbed ones
  let hPlain = h, hPert = h, cPlain = c, cPert = c;
  for (let t = 1; t <= T; t++) {
    const x = inst.x[t - 1]![0]!;
    const hBefore = h;
    const hIn = (gate: 'f' | 'i' | 'g' | 'o') => {
      if (t !== k + 1) return h;
      if (route === 'all') return hPert;
      if (route === 'output') return gate === 'o' ? hPert : hPlain;
      if (route === 'gates') return gate === 'o' ? hPlain : hPert;
      return hPlain;
    };
    const f = s(w(inst.Wxf) * x + (w(inst.Whf) + (t === k ? eps : 0)) * hIn('f') + inst.bf[0]!);
    const i = s(w(inst.Wxi) * x + w(inst.Whi) * hIn('i') + inst.bi[0]!);
    const g = Math.tanh(w(inst.Wxg) * x + w(inst.Whg) * hIn('g') + inst.bg[0]!);
    const o = s(w(inst.Wxo) * x + w(inst.Who) * hIn('o') + inst.bo[0]!);
    const cIn = t === k + 1 ? (route === 'all' || route === 'cell' ? cPert : cPlain) : c;
    c = f * cIn + i * g;
    h = o * Math.tanh(c);
    if (t === k) {
      // c_k with the perturbation, and without it (ε = 0 at step k)
      const fPlain = s(w(inst.Wxf) * x + w(inst.Whf) * hBefore + inst.bf[0]!);
      cPert = c;
      cPlain = fPlain * cIn + i * g;
      hPert = o * Math.tanh(cPert);
      hPlain = o * Math.tanh(cPlain);
    }
  }
  const e = w(inst.V) * h + inst.by[0]! - inst.y[T - 1]![0]!;
  return 0.5 * e * e;
}

const fd = (inst: LstmInstance, k: number, route: Parameters<typeof lossWith>[3]) => {
  const d = 1e-6;
  return (lossWith(inst, k, d, route) - lossWith(inst, k, -d, route)) / (2 * d);
};

describe('lstm.paths values against finite differences with W_hf untied at step k', () => {
  for (const raw of [{}, { steps: 4, step: 2 }, { steps: 3, step: 1, initialState: 'random' }, { steps: 2, initialState: 'random' }, { steps: 4 }]) {
    const params = lstmPathsParams.parse(raw);
    it(`every group and the sum, params ${JSON.stringify(raw)}`, () => {
      const rng = rngFrom(`lstm-paths|fd|${JSON.stringify(raw)}`);
      const stats: DrawStats = { draws: 0, rejected: {} };
      for (let n = 0; n < 12; n++) {
        const q = drawQuestion(lstmPathsType, rng, params, { digits: 4, generator: 2 }, () => ({ rtol: 0.01, atol: 1e-4 }), stats);
        const inst = q.instance as LstmInstance;
        const T = inst.x.length, k = params.step ?? T - 1;
        const [count, choice, cell, output, gates, total] = q.parts;
        expect(count!.answer).toBe(pathCounts(T).c[k]);
        expect(typeof choice!.answer).toBe('string');
        const tol = (x: number) => 1e-5 * Math.abs(x);
        for (const [part, route] of [[cell, 'cell'], [output, 'output'], [gates, 'gates'], [total, 'all']] as const) {
          const want = fd(inst, k, route);
          expect(Math.abs((part!.answer as number) - want), `${route}: ${part!.answer} vs ${want}`).toBeLessThan(tol(want) + 1e-9);
        }
        // the sum is the engine's per-step term
        expect(total!.answer).toBe(solveLstm(inst).dL_dWhf_by_step[k - 1]![0]![0]);
        expect(Math.abs((cell!.answer as number) + (output!.answer as number) + (gates!.answer as number) - (total!.answer as number))).toBeLessThan(1e-12);
      }
    });
  }
});

describe('lstm.paths as a question', () => {
  const params = lstmPathsParams.parse({});
  const rng = rngFrom('lstm-paths|fair');
  const stats: DrawStats = { draws: 0, rejected: {} };
  const questions = Array.from({ length: 60 }, () => drawQuestion(lstmPathsType, rng, params, { digits: 4, generator: 2 }, () => ({ rtol: 0.01, atol: 1e-4 }), stats));

  it('is registered', () => {
    expect(problemType('lstm.paths')).toBe(lstmPathsType);
  });

  it('balances the valid path across variants, and its group', () => {
    const answers = new Map<string, number>();
    const groups = new Map<string, number>();
    for (const q of questions) {
      const a = q.parts[1]!.answer as string;
      answers.set(a, (answers.get(a) ?? 0) + 1);
      const i = q.instance as LstmInstance;
      const g = pathGroup(listedPaths(i, 3, 2).answer, 2);
      groups.set(g, (groups.get(g) ?? 0) + 1);
    }
    expect(answers.size).toBe(5);
    expect(Math.max(...answers.values()) / questions.length).toBeLessThan(0.35);
    expect([...groups.keys()].sort()).toEqual([...PATH_GROUPS].sort());
    for (const c of groups.values()) expect(c / questions.length).toBeGreaterThan(0.15);
  });

  it('tells every catalogued mistake apart from the answer, and names the distractors', () => {
    for (const q of questions) {
      const choice = q.parts[1]!;
      expect(choice.choices).toHaveLength(4);
      expect(choice.mistakes.map((m) => m.id).sort()).toEqual(['lstm-path-skips-node', 'lstm-path-wrong-gate', 'lstm-path-wrong-step']);
      for (const m of choice.mistakes) expect(choice.choices).toContain(m.value);
      for (const part of q.parts.slice(2)) {
        expect(part.mistakes.length).toBeGreaterThan(0);
        for (const m of part.mistakes) expect(allWithinTolerance(part.answer, m.value, part.tolerance), `${part.spec.key} ${m.id}`).toBe(false);
      }
      const total = q.parts[5]!;
      expect(total.mistakes.map((m) => m.id).sort()).toEqual(['error-sign', 'lstm-cell-path-only', 'lstm-gate-paths-missing', 'lstm-output-gate-path-missing']);
    }
  });

  it('gives the sum from the student\'s own group values (follow-through)', () => {
    const total = questions[0]!.parts[5]!.spec;
    expect(total.dependsOn).toEqual(['c', 'd', 'e']);
    expect(total.followThrough!({ c: 0.1, d: -0.02, e: 0.005 })).toBeCloseTo(0.085, 12);
    expect(total.followThrough!({ c: 0.1, d: undefined, e: 0.005 })).toBeNull();
  });

  it('writes the worked solutions out with the paths, and never prints the listed answer in the statement', () => {
    for (const q of questions.slice(0, 10)) {
      const steps = q.parts.flatMap((p) => p.spec.solution(q.solution));
      expect(steps.length).toBeGreaterThan(8);
      expect(steps.some((s) => (s.math ?? '').includes('\\to c_{2} \\to f_{2} \\to W_{hf}^{(2)}'))).toBe(true);
      expect(q.built.intro).not.toContain(q.parts[1]!.answer as string);
    }
  });

  it('redraws rarely', () => {
    expect(stats.draws / questions.length).toBeLessThan(6);
  });

  it('refuses a step 1 with a zero initial state', () => {
    expect(lstmPathsParams.safeParse({ step: 1, steps: 3 }).success).toBe(false);
    expect(lstmPathsParams.safeParse({ step: 3, steps: 3 }).success).toBe(false);
  });
});
