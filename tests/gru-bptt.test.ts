/**
 * gru.bptt and the GRU's catalogued mistakes (docs/math.md §5):
 * - every per-step term ∂L/∂W^(k) and the total held to central finite differences of a GRU
 *   forward pass written here (the use at step k perturbed alone), for every weight;
 * - the generator's contract on draws (exact closed form, mistakes outside tolerance, by-hand
 *   answer inside, follow-through, worked solutions ending at the printed answer) and its redraw rate;
 * - each GRU mistake's value computed here independently: the other update convention and the
 *   reset gate after W_hn by finite differences of the forward pass written under that convention
 *   (the forward values not given), the direct term alone by a backward pass that carries
 *   ∂L/∂h_t ⊙ z_t only; and the grader naming it;
 * - the golden variants of the GRU types (tests/golden/bank-gru.json → variants-gru.json), which
 *   must regenerate identically under generator 2.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateKeyVariants, parseBank, practiceSecret, practiceStudents, type KeyVariant } from '../src/index.js';
import { allWithinTolerance, type Tolerance } from '../src/contract/tolerance.js';
import { byHand, EXACT } from '../src/models/convention.js';
import type { GruInstance, GruWeight, Mat } from '../src/models/instance.js';
import { GRU_WEIGHTS } from '../src/models/instance.js';
import { solve } from '../src/models/solve.js';
import { texValue } from '../src/problems/format.js';
import { drawQuestion, type DrawStats, type GeneratedQuestion } from '../src/problems/generate.js';
import { gruBpttType } from '../src/problems/gru-bptt.js';
import { gruForwardType } from '../src/problems/gru-forward.js';
import { gruStateJacobianType } from '../src/problems/gru-state-jacobian.js';
import { MISTAKES, type MistakeId } from '../src/problems/mistakes.js';
import { rngFrom } from '../src/problems/random.js';
import { fixedKey, type FixedKey } from './support/fixed-key.js';
import { maxRelDiff, randomGru, rngFor } from './support/random-instances.js';

// ---- a GRU forward pass written out here, under either convention ----
interface Variant { swap?: boolean; resetAfter?: boolean }
const sig = (a: number) => 1 / (1 + Math.exp(-a));
const mv = (A: Mat, v: number[]) => A.map((row) => row.reduce((acc, a, j) => acc + a * v[j]!, 0));

/** The states h_1 … h_T and the loss; `use(w, t)` gives the weight used at step t (t = 1 … T). */
function run(inst: GruInstance, v: Variant = {}, use: (w: GruWeight, t: number) => Mat = (w) => inst[w]) {
  let h = inst.h0.slice();
  const hs: number[][] = [], ns: number[][] = [], losses: number[] = [];
  inst.x.forEach((x, i) => {
    const t = i + 1;
    const r = mv(use('Wxr', t), x).map((a, j) => sig(a + mv(use('Whr', t), h)[j]! + inst.br[j]!));
    const z = mv(use('Wxz', t), x).map((a, j) => sig(a + mv(use('Whz', t), h)[j]! + inst.bz[j]!));
    const rec = v.resetAfter ? mv(use('Whn', t), h).map((a, j) => r[j]! * a) : mv(use('Whn', t), h.map((hj, j) => r[j]! * hj));
    const n = mv(use('Wxn', t), x).map((a, j) => Math.tanh(a + rec[j]! + inst.bn[j]!));
    h = h.map((hj, j) => (v.swap ? (1 - z[j]!) * hj + z[j]! * n[j]! : z[j]! * hj + (1 - z[j]!) * n[j]!));
    hs.push(h); ns.push(n);
    const e = mv(inst.V, h).map((o, j) => o + inst.by[j]! - inst.y[i]![j]!);
    losses.push(0.5 * e.reduce((acc, q) => acc + q * q, 0));
  });
  return { hs, ns, loss: inst.loss === 'sum' ? losses.reduce((a, b) => a + b, 0) : losses[losses.length - 1]! };
}

/** ∂L/∂W^(k) by central differences, only the use at step k perturbed (k = 0: every use, the total). */
function fd(inst: GruInstance, w: GruWeight, k: number, v: Variant = {}, eps = 1e-5): Mat {
  return inst[w].map((row, i) => row.map((_, j) => {
    const at = (delta: number) => run(inst, v, (name, t) => (name === w && (k === 0 || t === k)
      ? inst[name].map((r, a) => r.map((x, b) => (a === i && b === j ? x + delta : x))) : inst[name])).loss;
    return (at(eps) - at(-eps)) / (2 * eps);
  }));
}

/**
 * ∂L/∂W^(k) when ∂h_t/∂h_{t−1} is taken as diag(z_t) alone: ∂L/∂h_t carried back as ∂L/∂h_t ⊙ z_t,
 * written out for W_hz (δ^z_k = ∂L/∂h_k ⊙ (h_{k−1} − n_k) ⊙ σ'(a^z_k), term δ^z_k h_{k−1}ᵀ).
 */
function directOnlyWhz(inst: GruInstance, k: number): Mat {
  const T = inst.x.length, H = inst.h0.length;
  const hs = [inst.h0, ...run(inst).hs];
  const z = (t: number) => mv(inst.Wxz, inst.x[t - 1]!).map((a, j) => sig(a + mv(inst.Whz, hs[t - 1]!)[j]! + inst.bz[j]!));
  const r = (t: number) => mv(inst.Wxr, inst.x[t - 1]!).map((a, j) => sig(a + mv(inst.Whr, hs[t - 1]!)[j]! + inst.br[j]!));
  const n = (t: number) => mv(inst.Wxn, inst.x[t - 1]!).map((a, j) => Math.tanh(a + mv(inst.Whn, hs[t - 1]!.map((h, q) => r(t)[q]! * h))[j]! + inst.bn[j]!));
  const err = (t: number) => { const o = mv(inst.V, hs[t]!).map((v, j) => v + inst.by[j]! - inst.y[t - 1]![j]!); return inst.V[0]!.map((_, j) => inst.V.reduce((acc, row, a) => acc + row[j]! * o[a]!, 0)); };
  let dh = err(T);
  for (let t = T; t > k; t--) {
    const zt = z(t);
    dh = dh.map((v, j) => v * zt[j]!);
    if (inst.loss === 'sum') dh = dh.map((v, j) => v + err(t - 1)[j]!);
  }
  const zk = z(k), nk = n(k), hp = hs[k - 1]!;
  const delta = Array.from({ length: H }, (_, j) => dh[j]! * (hp[j]! - nk[j]!) * zk[j]! * (1 - zk[j]!));
  return delta.map((d) => hp.map((h) => d * h));
}

const asNum = (m: Mat): number | Mat => (m.length === 1 && m[0]!.length === 1 ? m[0]![0]! : m);

describe('gru.bptt against finite differences of a forward pass written here', () => {
  it('every per-step term and the total, for every weight, on random instances (1e-6 relative, entries below 1e-3 absolute)', () => {
    const rng = rngFor('gru-bptt-fd');
    let worst = 0;
    for (let n = 0; n < 24; n++) {
      const shape = { D: 1 + (n % 2), H: 1 + (n % 3), K: 1 + ((n >> 1) % 2), T: 1 + (n % 4), loss: n % 5 === 0 ? 'sum' as const : 'last' as const };
      const inst = randomGru(rng, shape, 0.8);
      for (const wrt of GRU_WEIGHTS) {
        const q = gruBpttType.build(inst, gruBpttType.params.parse({ wrt, steps: shape.T, giveForward: n % 2 === 0, initialState: 'random' }), { digits: 4, generator: 2 });
        const sol = solveAny(inst);
        const totalPart = q.parts[q.parts.length - 1]!;
        const fdTotal = fd(inst, wrt, 0);
        worst = Math.max(worst, maxRelDiff(totalPart.answer(sol), asNum(fdTotal), 1e-3));
        worst = Math.max(worst, maxRelDiff(totalPart.calc!(EXACT), asNum(fdTotal), 1e-3));
        const terms = q.parts.filter((p) => /\^\{\(\d\)\}/.test(p.symbol ?? ''));
        expect(terms).toHaveLength(shape.T);
        for (const p of terms) {
          const k = Number(/\^\{\((\d)\)\}/.exec(p.symbol!)![1]);
          worst = Math.max(worst, maxRelDiff(p.answer(sol), asNum(fd(inst, wrt, k)), 1e-3));
        }
      }
    }
    console.log(`gru.bptt against finite differences: worst relative difference ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-6);
  });
});

const solveAny = (inst: GruInstance) => solve(inst) as never;

const STYLE = { digits: 4, generator: 2 };
const tolerance = (): Tolerance => ({ rtol: 0.01, atol: 1e-4 });
const N = 30;
const CASES: Record<string, unknown>[] = [
  {},
  { steps: 2 },
  { hidden: 2 },
  { hidden: 2, inputs: 2, outputs: 2, steps: 3, wrt: 'Whn', initialState: 'random' },
  { wrt: 'Wxr', loss: 'sum' },
  { wrt: 'Wxn', giveForward: false, steps: 2 },
  { hidden: 2, wrt: 'Whr', steps: 2, giveForward: false },
  { steps: 4, initialState: 'random' },
  { steps: 1, initialState: 'random' },
  { steps: 1, wrt: 'Wxz' },
];

for (const raw of CASES) {
  const label = JSON.stringify(raw);
  const params = gruBpttType.params.parse(raw) as { steps: number; wrt: GruWeight; hidden: number; initialState: string };
  const stats: DrawStats = { draws: 0, rejected: {} };
  const rng = rngFrom(`gru-bptt|${label}`);
  const questions: GeneratedQuestion[] = Array.from({ length: N }, () => drawQuestion(gruBpttType, rng, params, STYLE, tolerance, stats));

  describe(`gru.bptt with params ${label}`, () => {
    it('draws fair variants at a reasonable redraw rate', () => {
      console.log(`gru.bptt ${label}: ${(stats.draws / N).toFixed(1)} draws a question, rejected ${JSON.stringify(stats.rejected)}`);
      expect(stats.draws / N).toBeLessThan(25);
    });

    it('asks ∂L_T/∂ŷ_T (last-step loss), the per-step terms from k = T down and the total', () => {
      for (const q of questions) {
        const zeroFirst = params.initialState === 'zero' && (params.wrt.startsWith('Wh') || params.wrt === 'Wxr');
        const summed = (q.instance as GruInstance).loss === 'sum';
        expect(q.parts).toHaveLength((summed ? 0 : 1) + params.steps - (zeroFirst ? 1 : 0) + 1);
      }
    });

    it('computes every part by the closed forms exactly as the solver does', () => {
      for (const q of questions) for (const p of q.parts) expect(maxRelDiff(p.spec.calc!(EXACT), p.answer, 1e-12), p.spec.key).toBeLessThan(1e-9);
    });

    it('keeps every catalogued mistake outside tolerance and the by-hand answer inside it', () => {
      const seen = new Set<MistakeId>();
      for (const q of questions) for (const p of q.parts) {
        for (const m of p.mistakes) { seen.add(m.id); expect(allWithinTolerance(p.answer, m.value, p.tolerance), `${p.spec.key} ${m.id}`).toBe(false); }
        expect(allWithinTolerance(p.answer, p.spec.calc!(byHand(STYLE.digits)), p.tolerance), p.spec.key).toBe(true);
      }
      expect(seen).toContain('gru-update-swapped');
      // with h_0 = 0 the k = 1 term of a recurrent weight is 0, whatever the error reaching it
      const zeroFirst = params.initialState === 'zero' && (params.wrt.startsWith('Wh') || params.wrt === 'Wxr');
      if (params.steps > (zeroFirst ? 2 : 1)) expect(seen).toContain('gru-direct-only');
      if (params.steps > (zeroFirst ? 2 : 1)) expect(seen).toContain('last-term-only');
      if (params.hidden > 1) expect(seen).toContain('gru-reset-after');
    });

    it('recomputes the total from the exact per-step terms (follow-through), and names the last term alone', () => {
      for (const q of questions) {
        const byKey = Object.fromEntries(q.parts.map((p) => [p.spec.key, p.answer]));
        const total = q.parts[q.parts.length - 1]!;
        const earlier = Object.fromEntries((total.spec.dependsOn ?? []).map((k) => [k, byKey[k]]));
        expect(maxRelDiff(total.spec.followThrough!(earlier), total.answer, 1e-12)).toBeLessThan(1e-9);
      }
    });

    it('works each solution through to the answer as the sheet prints it', () => {
      for (const q of questions) for (const p of q.parts) {
        const printed = texValue(p.answer, STYLE.digits);
        expect(p.spec.solution(q.solution).some((s) => (s.math ?? '').includes(printed)), `${p.spec.key}: ${printed}`).toBe(true);
      }
    });
  });
}

// ---- the GRU mistakes, on instances chosen here ----
/** A 2 × 2 GRU with T = 3 on the grids (h_0 ≠ 0, so every path carries). */
const G2: GruInstance = {
  model: 'gru',
  Wxr: [[0.5], [-0.8]], Whr: [[0.6, -0.4], [0.9, 0.3]], br: [0.1, -0.2],
  Wxz: [[-0.7], [0.4]], Whz: [[0.8, 0.5], [-0.6, 0.7]], bz: [0.3, -0.1],
  Wxn: [[0.9], [-0.5]], Whn: [[-0.7, 0.8], [0.6, 0.9]], bn: [-0.2, 0.4],
  V: [[0.7, -0.9]], by: [0.2], h0: [0.5, -0.6],
  x: [[0.8], [-0.6], [1]], y: [[0.4], [-0.7], [0.9]],
};

function expectNamed(key: FixedKey, part: string, id: MistakeId, hand: unknown): void {
  const listed = key.mistake(part, id);
  expect(listed, `${part} does not list ${id}`).toBeDefined();
  expect(maxRelDiff(listed, hand, 1e-9), `${part} ${id}: ${JSON.stringify(listed)} against ${JSON.stringify(hand)}`).toBeLessThan(1e-6);
  const result = key.grade({ [part]: hand }).parts.find((r) => r.id === `q1.${part}`)!;
  expect(result.mistake, `${part}: ${result.feedback}`).toBe(id);
  expect(result.status).not.toBe('correct');
  expect(result.feedback).toContain(MISTAKES[id].explanation);
}

describe('gru.bptt params', () => {
  it('refuses one step from a zero state for a weight whose only term is then 0, with a sentence', () => {
    expect(() => gruBpttType.params.parse({ steps: 1 })).toThrow(/should be at least 2 when the initial state is zero/);
    expect(() => gruBpttType.params.parse({ steps: 1, wrt: 'Wxr' })).toThrow(/steps/);
    expect(() => gruBpttType.params.parse({ steps: 1, wrt: 'Wxn' })).not.toThrow();
    expect(() => gruBpttType.params.parse({ wrt: 'V' })).toThrow();
  });
});

describe('the GRU mistakes (generator 2), computed independently and named by the grader', () => {
  it('are catalogued since generator 2 with explanations that state no number', () => {
    for (const id of ['gru-update-swapped', 'gru-reset-after', 'gru-direct-only'] as const) {
      expect((MISTAKES[id] as { since?: number }).since).toBe(2);
      expect(MISTAKES[id].explanation).not.toMatch(/\d\.\d/);
    }
  });

  it('gru.bptt (forward values not given): the other conventions are the gradients of the GRU written that way', () => {
    const key = fixedKey(gruBpttType, { hidden: 2, steps: 3, giveForward: false, initialState: 'random' }, G2, 2);
    // parts: a ∂L/∂ŷ, b k = 3, c k = 2, d k = 1, e the total
    expectNamed(key, 'e', 'gru-update-swapped', fd(G2, 'Whz', 0, { swap: true }));
    expectNamed(key, 'e', 'gru-reset-after', fd(G2, 'Whz', 0, { resetAfter: true }));
    expectNamed(key, 'c', 'gru-update-swapped', fd(G2, 'Whz', 2, { swap: true }));
    expectNamed(key, 'd', 'gru-reset-after', fd(G2, 'Whz', 1, { resetAfter: true }));
  });

  it('gru.bptt: the direct term alone carries ∂L/∂h_t ⊙ z_t back, nothing else', () => {
    const key = fixedKey(gruBpttType, { hidden: 2, steps: 3, initialState: 'random' }, G2, 2);
    expectNamed(key, 'c', 'gru-direct-only', directOnlyWhz(G2, 2));
    expectNamed(key, 'd', 'gru-direct-only', directOnlyWhz(G2, 1));
    const total = [1, 2, 3].map((k) => directOnlyWhz(G2, k)).reduce((a, m) => a.map((row, i) => row.map((v, j) => v + m[i]![j]!)));
    expectNamed(key, 'e', 'gru-direct-only', total);
    expect(key.mistake('b', 'gru-direct-only'), 'the k = T term crosses no step').toBeUndefined();
  });

  it('gru.forward: h_t under the other update convention, n_t with the reset gate after W_hn', () => {
    const key = fixedKey(gruForwardType, { hidden: 2, steps: 3, initialState: 'random' }, G2, 2);
    // parts per step: r, z, n, h → n_1 = c, h_1 = d, h_2 = h, n_3 = k
    const swapped = run(G2, { swap: true }).hs, after = run(G2, { resetAfter: true }).ns;
    expectNamed(key, 'd', 'gru-update-swapped', swapped[0]);
    expectNamed(key, 'h', 'gru-update-swapped', swapped[1]);
    expectNamed(key, 'c', 'gru-reset-after', after[0]);
    expectNamed(key, 'k', 'gru-reset-after', after[2]);
    expect(key.mistake('c', 'gru-update-swapped'), 'each mistake on the part where it is made').toBeUndefined();
    // made at step 2 alone, on the student's own (right) earlier answers: named too
    const right = (k: string) => key.part(k).answer as number[];
    const [z2, n2, h1] = [right('f'), right('g'), right('d')];
    const alone = h1.map((h, a) => (1 - z2[a]!) * h + z2[a]! * n2[a]!);
    const graded = key.grade({ a: right('a'), b: right('b'), c: right('c'), d: h1, e: right('e'), f: z2, g: n2, h: alone }).parts.find((r) => r.id === 'q1.h')!;
    expect(graded.mistake, graded.feedback).toBe('gru-update-swapped');
    // a scalar GRU: r (W_hn h) = W_hn (r h), so the reset gate's place is not listed
    const scalar = fixedKey(gruForwardType, { steps: 2, initialState: 'random' }, { ...G2, Wxr: [[0.5]], Whr: [[0.6]], br: [0.1], Wxz: [[-0.7]], Whz: [[0.8]], bz: [0.3], Wxn: [[0.9]], Whn: [[-0.7]], bn: [-0.2], V: [[0.7]], by: [0.2], h0: [0.5], x: [[0.8], [-0.6]], y: [[-0.9], [0.6]] }, 2);
    expect(scalar.parts.flatMap((p) => p.mistakes.map((m) => m.id))).not.toContain('gru-reset-after');
  });

  it('gru.state-jacobian: the total as diag(z_t), and under the other update convention (one step differenced)', () => {
    const key = fixedKey(gruStateJacobianType, { hidden: 2, steps: 3, initialState: 'random' }, G2, 2);
    // parts: a update-gate path, b candidate path, c total at 3, d total at 1, e total at 2, f product
    const hs = [G2.h0, ...run(G2).hs];
    const step = (t: number, h: number[], v: Variant) => run({ ...G2, h0: h, x: [G2.x[t - 1]!], y: [G2.y[t - 1]!] }, v).hs[0]!;
    const jac = (t: number, v: Variant) => {
      const eps = 1e-6, cols = [0, 1].map((b) => {
        const plus = step(t, hs[t - 1]!.map((x, j) => (j === b ? x + eps : x)), v), minus = step(t, hs[t - 1]!.map((x, j) => (j === b ? x - eps : x)), v);
        return plus.map((p, a) => (p - minus[a]!) / (2 * eps));
      });
      return [0, 1].map((a) => [0, 1].map((b) => cols[b]![a]!));
    };
    expectNamed(key, 'c', 'gru-update-swapped', jac(3, { swap: true }));
    // with the forward values printed, the student takes the Jacobian of the other form at the printed
    // r_t, z_t, n_t; computing them too, at step 1 (h_0 given) it is the other form's Jacobian
    expectNamed(fixedKey(gruStateJacobianType, { hidden: 2, steps: 3, initialState: 'random', giveForward: false }, G2, 2), 'd', 'gru-reset-after', jac(1, { resetAfter: true }));
    const z = (t: number) => mv(G2.Wxz, G2.x[t - 1]!).map((a, j) => sig(a + mv(G2.Whz, hs[t - 1]!)[j]! + G2.bz[j]!));
    expectNamed(key, 'e', 'gru-direct-only', [[z(2)[0]!, 0], [0, z(2)[1]!]]);
  });
});

describe('golden variants of the GRU types (generator 2)', () => {
  const golden = JSON.parse(readFileSync('tests/golden/variants-gru.json', 'utf8')) as KeyVariant[];
  const bank = parseBank(JSON.parse(readFileSync('tests/golden/bank-gru.json', 'utf8')));
  const fresh = generateKeyVariants(bank, practiceSecret('golden'), practiceStudents(2).map((id) => ({ id, name: id })));
  it('cover the three types, scalar and vector, and list the GRU mistakes', () => {
    expect(bank.generator).toBe(2);
    expect(new Set(golden.flatMap((v) => v.questions.map((q) => q.type)))).toEqual(new Set(['gru.forward', 'gru.state-jacobian', 'gru.bptt']));
    const listed = new Set(golden.flatMap((v) => v.questions.flatMap((q) => q.parts.flatMap((p) => (p.mistakes ?? []).map((m) => m.id)))));
    for (const id of ['gru-update-swapped', 'gru-reset-after', 'gru-direct-only']) expect(listed).toContain(id);
  });
  golden.forEach((v, n) => v.questions.forEach((q, m) => {
    it(`regenerates ${v.code} ${q.id} (${q.type}) with the same instance, parts and answers`, () => {
      const now = fresh[n]!.questions[m]!;
      expect(fresh[n]!.code).toBe(v.code);
      expect(now.instance).toEqual(q.instance);
      expect(now.parts.map((p) => [p.id, p.kind, p.points, p.tolerance, p.choices, p.dependsOn])).toEqual(q.parts.map((p) => [p.id, p.kind, p.points, p.tolerance, p.choices, p.dependsOn]));
      now.parts.forEach((p, k) => {
        const was = q.parts[k]!;
        expect(maxRelDiff(p.answer, was.answer, 1e-300), p.id).toBeLessThan(1e-12);
        expect((p.mistakes ?? []).map((x) => x.id)).toEqual((was.mistakes ?? []).map((x) => x.id));
      });
    });
  }));
});
