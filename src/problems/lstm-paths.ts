/**
 * lstm.paths — the notes' paths from L_T back to the use W_hf^(k) of W_hf at step k (docs/math.md
 * §3.3, §3.6), in a scalar LSTM with the last-step loss:
 * (a) how many paths there are, counted by enumerating the LSTM's dependency graph (`lstmGraph`,
 *     `pathsBetween`): the notes' ② lists five for L₃ and W_hf^(2);
 * (b) which one of four listed paths is valid — the other three are the notes' crossed-out kinds:
 *     a gate that W_hf does not feed at step k, a gate of step t sent back to h_t instead of
 *     h_{t−1} (their f₂ → h₂ → c₁), a node skipped;
 * (c)–(e) the value of the three groups of paths, by how they reach c_k from step k+1: through
 *     the cell (c_{k+1} → c_k), through the output gate (o_{k+1} → h_k → c_k), through the other
 *     gates (f_{k+1}, i_{k+1}, g_{k+1} → h_k → c_k);
 * (f) their sum, the per-step term ∂L_T/∂W_hf^(k) (follow-through from (c)–(e)).
 * The right path of (b) is balanced across variants: the draw aims at one of the paths, each
 * equally often, and the instance names it (`pathSelector`, a hash of the instance's numbers, so
 * a key's instance rebuilds the same options).
 */
import { z } from 'zod';
import { EXACT, type Convention } from '../models/convention.js';
import type { LstmInstance } from '../models/instance.js';
import { lstmForward, type LstmForward, type LstmSolution } from '../models/lstm.js';
import { drawLstm, lstmForwardLines, lstmGiven, lstmLossSentence, LSTM_NOTATION } from './lstm-params.js';
import { networkParamsShape } from './params.js';
import { partKey, perConvention } from './common.js';
import { arithmeticLine, given, num, sum, times } from './arithmetic.js';
import { texNumber, texVector } from './format.js';
import { erase } from './erase.js';
import type { MistakeId } from './mistakes.js';
import type { Rng } from './random.js';
import type { AnswerValue, PartSpec, ProblemType, SolutionStep } from './types.js';

export const lstmPathsParams = z.object({
  /** T */
  steps: z.number().int().min(2).max(4).default(3),
  /** k, the step whose use of W_hf is asked: 1 … T − 1, default T − 1 (the notes' ②) */
  step: z.number().int().min(1).max(3).optional(),
  weights: networkParamsShape.weights,
  data: networkParamsShape.data,
  initialState: networkParamsShape.initialState,
  biases: networkParamsShape.biases,
  /** print f_t, i_t, g_t, o_t, c_t, h_t and ŷ_T */
  giveForward: z.boolean().default(true),
}).strict()
  .refine((p) => p.step === undefined || p.step < p.steps, { message: 'should be less than steps', path: ['step'] })
  // the use at step 1 multiplies by c_0 and h_0: both 0 unless the initial state is drawn
  .refine((p) => (p.step ?? p.steps - 1) >= 2 || p.initialState === 'random', { message: 'step 1 needs "initialState": "random" (with h_0 = c_0 = 0 every path to W_hf^(1) is 0)', path: ['step'] });
export type LstmPathsParams = z.infer<typeof lstmPathsParams>;

// ---------------------------------------------------------------------------------------------
// The dependency graph and its paths

/** A node of the graph: L (the loss L_T), h_t, c_t, the gates f_t, i_t, g_t, o_t, and W (W_hf^(k)). */
export interface PathNode { name: 'L' | 'h' | 'c' | 'f' | 'i' | 'g' | 'o' | 'W'; t: number }
export type Path = readonly PathNode[];

const key = (n: PathNode) => `${n.name}${n.t}`;

/**
 * What each node is computed from, in the notes' arrows (ŷ_T folded into L_T → h_T, and
 * m_t = tanh c_t into h_t → c_t): L_T ← h_T; h_t ← o_t, c_t; c_t ← f_t, i_t, g_t, c_{t−1};
 * each gate G_t ← h_{t−1}, and f_k ← W_hf^(k) (W_hf feeds the forget gate, and its use at step k
 * only f_k). h_0 and c_0 are inputs, not nodes. Generic in T: tests hold it to a hand count.
 */
export function lstmGraph(T: number, k: number): Map<string, PathNode[]> {
  const g = new Map<string, PathNode[]>();
  g.set(key({ name: 'L', t: T }), [{ name: 'h', t: T }]);
  for (let t = 1; t <= T; t++) {
    g.set(key({ name: 'h', t }), [{ name: 'o', t }, { name: 'c', t }]);
    g.set(key({ name: 'c', t }), [{ name: 'f', t }, { name: 'i', t }, { name: 'g', t }, ...(t > 1 ? [{ name: 'c' as const, t: t - 1 }] : [])]);
    for (const G of ['f', 'i', 'g', 'o'] as const) {
      g.set(key({ name: G, t }), [...(t > 1 ? [{ name: 'h' as const, t: t - 1 }] : []), ...(G === 'f' && t === k ? [{ name: 'W' as const, t: k }] : [])]);
    }
  }
  return g;
}

/** Every path from `from` back to `to` along the graph's dependences (depth first, parents in order). */
export function pathsBetween(graph: Map<string, PathNode[]>, from: PathNode, to: PathNode): PathNode[][] {
  const out: PathNode[][] = [];
  const walk = (at: PathNode, trail: PathNode[]) => {
    if (key(at) === key(to)) { out.push(trail); return; }
    for (const next of graph.get(key(at)) ?? []) walk(next, [...trail, next]);
  };
  walk(from, [from]);
  return out;
}

/** Whether every arrow of a listed path is a dependence of the graph, from L_T to W_hf^(k). */
export function isValidPath(graph: Map<string, PathNode[]>, path: Path, T: number, k: number): boolean {
  if (path.length < 2 || key(path[0]!) !== key({ name: 'L', t: T }) || key(path[path.length - 1]!) !== key({ name: 'W', t: k })) return false;
  return path.every((n, j) => j === 0 || (graph.get(key(path[j - 1]!)) ?? []).some((m) => key(m) === key(n)));
}

/** The three groups of (c)–(e): how a path reaches c_k from step k+1. */
export const PATH_GROUPS = ['cell', 'output', 'gates'] as const;
export type PathGroup = (typeof PATH_GROUPS)[number];

/** The group of a path to W_hf^(k): the node before c_k is c_{k+1} (cell), or h_k entered from o_{k+1} (output) or f, i, g_{k+1} (gates). */
export function pathGroup(path: Path, k: number): PathGroup {
  const j = path.findIndex((n) => n.name === 'c' && n.t === k);
  const before = path[j - 1]!;
  if (before.name === 'c') return 'cell';
  return path[j - 2]!.name === 'o' ? 'output' : 'gates';
}

const SUB = '₀₁₂₃₄₅₆₇₈₉';
/** A path as the options print it: "L₃ → h₃ → o₃ → h₂ → c₂ → f₂ → W_hf^(2)". */
export function pathText(path: Path): string {
  return path.map((n) => (n.name === 'W' ? `W_hf^(${n.t})` : `${n.name}${SUB[n.t]}`)).join(' → ');
}
/** The same in TeX, for worked solutions. */
export function pathTex(path: Path): string {
  return path.map((n) => (n.name === 'W' ? `W_{hf}^{(${n.t})}` : `${n.name}_{${n.t}}`)).join(' \\to ');
}

/** The number of paths from L_T back to c_t and to h_t, t = T … 1, by the recursion the graph gives. */
export function pathCounts(T: number): { c: number[]; h: number[] } {
  const c: number[] = new Array<number>(T + 2).fill(0), h: number[] = new Array<number>(T + 2).fill(0);
  for (let t = T; t >= 1; t--) {
    h[t] = t === T ? 1 : h[t + 1]! + 3 * c[t + 1]!;
    c[t] = h[t]! + (t < T ? c[t + 1]! : 0);
  }
  return { c, h };
}

// ---------------------------------------------------------------------------------------------
// The listed paths of (b)

/** The notes' crossed-out kinds, one distractor each. */
const DISTRACTORS = ['lstm-path-wrong-gate', 'lstm-path-wrong-step', 'lstm-path-skips-node'] as const satisfies readonly MistakeId[];
type Distractor = (typeof DISTRACTORS)[number];

/** A 32-bit hash of the instance's numbers, in a fixed order (a key's instance rebuilds the same options). */
export function pathSelector(inst: LstmInstance): number {
  const numbers = [inst.Wxf, inst.Whf, inst.Wxi, inst.Whi, inst.Wxg, inst.Whg, inst.Wxo, inst.Who, inst.V, inst.x, inst.y].flat(2)
    .concat(inst.bf, inst.bi, inst.bg, inst.bo, inst.by, inst.h0, inst.c0);
  let h = 0x811c9dc5;
  for (const ch of numbers.map((v) => v.toFixed(6)).join(',')) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Which of the N paths to W_hf^(k) is the valid one listed (what the aim steers): the selector mod N. */
export function selectedPath(inst: LstmInstance, count: number): number {
  return pathSelector(inst) % count;
}

/** T and k of a bank's params. */
const stepsOf = (p: LstmPathsParams) => ({ T: p.steps, k: p.step ?? p.steps - 1 });

const gateHop = (p: Path) => p.findIndex((n, j) => j > 0 && n.name === 'h' && 'fiog'.includes(p[j - 1]!.name));

function mutate(kind: Distractor, q: Path, pickOne: <T>(xs: readonly T[]) => T): PathNode[] {
  const p = [...q];
  if (kind === 'lstm-path-wrong-gate') {
    // … → c_k → i_k → W_hf^(k): W_hf feeds only f_k
    p[p.length - 2] = { name: pickOne(['i', 'g'] as const), t: p[p.length - 2]!.t };
  } else if (kind === 'lstm-path-wrong-step') {
    // a gate of step t sent back to h_t instead of h_{t−1} (the notes' f₂ → h₂ → c₁)
    const j = gateHop(p);
    p[j] = { name: 'h', t: p[j]!.t + 1 };
  } else {
    // a node skipped: the gate between step t+1 and h_t (c₃ → h₂), or c_k (c₃ → f₂)
    const j = gateHop(p);
    p.splice(j >= 0 ? j - 1 : p.length - 3, 1);
  }
  return p;
}

export interface ListedPaths {
  answer: PathNode[];
  distractors: Record<Distractor, PathNode[]>;
}

/** The valid path of (b) and a distractor of each kind, each made from another valid path. */
export function listedPaths(inst: LstmInstance, T: number, k: number): ListedPaths {
  const graph = lstmGraph(T, k);
  const all = pathsBetween(graph, { name: 'L', t: T }, { name: 'W', t: k });
  let s = pathSelector(inst);
  const answer = all[s % all.length]!;
  // a small LCG on the selector picks the other paths the distractors are made from
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const pickOne = <X,>(xs: readonly X[]): X => xs[Math.floor(next() * xs.length)]!;
  const others = all.filter((p) => p !== answer);
  const distractors = {} as Record<Distractor, PathNode[]>;
  for (const kind of DISTRACTORS) {
    const sources = kind === 'lstm-path-wrong-step' ? others.filter((p) => gateHop(p) >= 0) : others;
    distractors[kind] = mutate(kind, pickOne(sources.length ? sources : others), pickOne);
  }
  return { answer, distractors };
}

// ---------------------------------------------------------------------------------------------
// The values of the groups

export interface GroupValues {
  /** ∂L/∂h_{k+1}, ∂L/∂c_{k+1} */
  dh: number; dc: number;
  /** c_{k−1} σ'(a^f_k) h_{k−1}: ∂c_k/∂f_k · ∂f_k/∂W_hf^(k) */
  local: number;
  /** o_k (1 − m_k²) = ∂h_k/∂c_k */
  kappa: number;
  /** A_{k+1}, the bracket of §3.2: the paths from h_k into f, i, g of step k+1 */
  gates: number;
  /** m_{k+1} σ'(a^o_{k+1}) W_ho */
  outputGate: number;
  cell: number; output: number; gatesGroup: number;
}

/**
 * The groups from the forward values (scalar, last-step loss), by the backward pass of §3.3 from
 * step T down to k+1, written here for one unit: ∂L/∂h_t through the four gates of step t+1,
 * ∂L/∂c_t = ∂L/∂h_t o_t(1 − m_t²) + ∂L/∂c_{t+1} f_{t+1}.
 */
export function groupValues(inst: LstmInstance, fw: Pick<LstmForward, 'f' | 'i' | 'g' | 'o' | 'c' | 'm' | 'h' | 'yhat'>, k: number, round: (x: number) => number = (x) => x): GroupValues {
  const T = inst.x.length;
  const v = (name: 'f' | 'i' | 'g' | 'o' | 'c' | 'm' | 'h', t: number) => fw[name][t - 1]![0]!;
  const sp = (name: 'f' | 'i' | 'o', t: number) => v(name, t) * (1 - v(name, t));
  const w = (name: 'Whf' | 'Whi' | 'Whg' | 'Who') => inst[name][0]![0]!;
  const A = (t: number) => v('c', t - 1) * sp('f', t) * w('Whf') + v('g', t) * sp('i', t) * w('Whi') + v('i', t) * (1 - v('g', t) ** 2) * w('Whg');
  const B = (t: number) => v('m', t) * sp('o', t) * w('Who');
  let dh = round((fw.yhat[T - 1]![0]! - inst.y[T - 1]![0]!) * inst.V[0]![0]!);
  let dc = round(dh * v('o', T) * (1 - v('m', T) ** 2));
  for (let t = T - 1; t >= k + 1; t--) {
    const dhNext = dh, dcNext = dc;
    dh = round(dhNext * B(t + 1) + dcNext * A(t + 1));
    dc = round(dh * v('o', t) * (1 - v('m', t) ** 2) + dcNext * v('f', t + 1));
  }
  const cPrev = k === 1 ? inst.c0[0]! : v('c', k - 1), hPrev = k === 1 ? inst.h0[0]! : v('h', k - 1);
  const local = round(cPrev * sp('f', k) * hPrev);
  const kappa = round(v('o', k) * (1 - v('m', k) ** 2));
  const gates = round(A(k + 1)), outputGate = round(B(k + 1));
  return {
    dh, dc, local, kappa, gates, outputGate,
    cell: round(dc * v('f', k + 1) * local),
    output: round(dh * outputGate * kappa * local),
    gatesGroup: round(dc * gates * kappa * local),
  };
}

// ---------------------------------------------------------------------------------------------

function isPathAim(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

const scalarParams = (p: LstmPathsParams) => ({
  ...p, hidden: 1, inputs: 1, outputs: 1, loss: 'last' as const, regime: 'any' as const,
});

/**
 * Draws until the instance's selector picks the aimed path (a draw of the LSTM alone is cheap; the
 * generator's redraws solve and build each one). Gives up after 400, and `accept` redraws.
 */
function drawAimed(rng: Rng, p: LstmPathsParams, target: number | undefined): LstmInstance {
  const { T, k } = stepsOf(p);
  const count = pathCounts(T).c[k]!;
  for (let n = 0; ; n++) {
    const inst = drawLstm(rng, scalarParams(p));
    if (target === undefined || selectedPath(inst, count) === target || n >= 400) return inst;
  }
}

const GROUP_PROMPT: Record<PathGroup, (k: number) => string> = {
  cell: (k) => `the paths through the cell, $c_{${k + 1}} \\to c_{${k}}$`,
  output: (k) => `the paths through the output gate, $o_{${k + 1}} \\to h_{${k}} \\to c_{${k}}$`,
  gates: (k) => `the paths through the other gates, $f_{${k + 1}}, i_{${k + 1}}, g_{${k + 1}} \\to h_{${k}} \\to c_{${k}}$`,
};

export const lstmPathsProblem: ProblemType<LstmPathsParams, LstmInstance, LstmSolution, number> = {
  id: 'lstm.paths',
  title: 'The paths from L_T back to W_hf^(k)',
  summary: 'The notes\' paths from L₃ back to W_hf^(k): how many, which listed path is valid, the value of each group (through the cell, the output gate, the other gates) and their sum.',
  params: lstmPathsParams,
  aim: {
    // each of the N paths equally often as the valid one listed
    choose: (rng, params, _style, missed) => {
      const { T, k } = stepsOf(params);
      const left = Array.from({ length: pathCounts(T).c[k]! }, (_, n) => n).filter((n) => !missed.includes(n));
      return left.length ? left[Math.floor(rng() * left.length)] : undefined;
    },
    is: isPathAim,
  },
  generate: (rng, p, style, target) => drawAimed(rng, p, style.generator >= 2 ? target : undefined),
  accept: (inst, _sol, p, style, target) => {
    const { T, k } = stepsOf(p);
    return style.generator >= 2 && target !== undefined && selectedPath(inst, pathCounts(T).c[k]!) !== target ? 'the listed path is not the one aimed at' : null;
  },
  build(inst, params, style) {
    const T = inst.x.length;
    const k = params.step ?? T - 1;
    const d = style.digits;
    const W = `W_{hf}^{(${k})}`;
    const L = `L_{${T}}`;
    const graph = lstmGraph(T, k);
    const all = pathsBetween(graph, { name: 'L', t: T }, { name: 'W', t: k });
    const listed = listedPaths(inst, T, k);
    const groupsBy = perConvention((conv: Convention) => groupValues(inst, lstmForward(inst, conv), k, conv.round));
    const exactGroups = (s: LstmSolution) => groupValues(inst, s, k);
    const parts: PartSpec<LstmSolution>[] = [];
    const counts = pathCounts(T);

    parts.push({
      key: partKey(parts.length),
      kind: 'number',
      prompt: `How many paths lead from $${L}$ back to $${W}$?`,
      symbol: `\\#\\text{paths}`,
      answer: () => all.length,
      calc: () => all.length,
      solution: () => countSolution(T, k, all, counts),
    });

    const options = [pathText(listed.answer), ...DISTRACTORS.map((m) => pathText(listed.distractors[m]))];
    parts.push({
      key: partKey(parts.length),
      kind: 'choice',
      prompt: `Which of these is a path from $${L}$ back to $${W}$, every arrow a dependence of the LSTM?`,
      choices: options,
      answer: () => options[0]!,
      mistakes: DISTRACTORS,
      mistakeValue: Object.fromEntries(DISTRACTORS.map((m) => [m, () => pathText(listed.distractors[m])])),
      solution: () => choiceSolution(listed, k),
    });

    const groupKeys: string[] = [];
    for (const group of PATH_GROUPS) {
      const pick = (g: GroupValues) => (group === 'cell' ? g.cell : group === 'output' ? g.output : g.gatesGroup);
      const key = partKey(parts.length);
      groupKeys.push(key);
      parts.push({
        key,
        kind: 'number',
        prompt: `The value of ${GROUP_PROMPT[group](k)}, summed: their share of $\\partial ${L}/\\partial ${W}$.`,
        symbol: `\\partial ${L}/\\partial ${W}\\big|_{\\text{${group === 'cell' ? 'cell' : group === 'output' ? 'o' : 'f, i, g'}}}`,
        answer: (s) => pick(exactGroups(s)),
        calc: (conv) => pick(groupsBy(conv)),
        mistakes: ['error-sign'],
        mistakeValue: { 'error-sign': (s) => -pick(exactGroups(s)) },
        solution: (s) => groupSolution(inst, s, exactGroups(s), group, k, all, d),
      });
    }

    const term = (s: LstmSolution) => s.dL_dWhf_by_step[k - 1]![0]![0]!;
    const totalMistakes: MistakeId[] = ['lstm-output-gate-path-missing', 'lstm-cell-path-only', 'lstm-gate-paths-missing', 'error-sign'];
    parts.push({
      key: partKey(parts.length),
      kind: 'number',
      prompt: `Their sum, the per-step term $\\dfrac{\\partial ${L}}{\\partial ${W}}$.`,
      symbol: `\\partial ${L}/\\partial ${W}`,
      answer: term,
      calc: (conv) => { const g = groupsBy(conv); return conv.round(g.cell + g.output + g.gatesGroup); },
      mistakes: totalMistakes,
      mistakeValue: {
        'lstm-output-gate-path-missing': (s) => { const g = exactGroups(s); return g.cell + g.gatesGroup; },
        'lstm-cell-path-only': (s) => exactGroups(s).cell,
        'lstm-gate-paths-missing': (s) => { const g = exactGroups(s); return g.cell + g.output; },
        'error-sign': (s) => -term(s),
      },
      dependsOn: groupKeys,
      followThrough: (earlier) => {
        const vals = groupKeys.map((key) => earlier[key]);
        return vals.every((x): x is number => typeof x === 'number' && Number.isFinite(x)) ? vals.reduce((a, b) => a + b, 0) : null;
      },
      solution: (s) => {
        const g = exactGroups(s);
        return [{
          text: `Every path to $${W}$ is in exactly one group, so the per-step term is the sum of the three:`,
          math: `\\frac{\\partial ${L}}{\\partial ${W}} = ${arithmeticLine(sum(num(g.cell), num(g.output), num(g.gatesGroup)), term(s), d)}`,
        }];
      },
    });

    return {
      notation: LSTM_NOTATION,
      intro: `${lstmLossSentence(inst)} The network is scalar ($H = D = K = 1$). The weight $W_{hf}$ is used at every step; write $${W}$ for its use at step $${k}$, which feeds only $f_{${k}}$. ` +
        `A path is written in the notes' arrows, from the loss back along the dependences, $\\hat y_{${T}}$ folded into $${L} \\to h_{${T}}$ and $m_t = \\tanh c_t$ into $h_t \\to c_t$: ` +
        `$h_t$ depends on $o_t$ and $c_t$; $c_t$ on $f_t, i_t, g_t$ and $c_{t-1}$; each gate of step $t$ on $h_{t-1}$.` +
        (params.giveForward ? ' The forward values (rounded) are given.' : ''),
      given: () => {
        const lines = lstmGiven(inst);
        if (params.giveForward) {
          const r = lstmForward(inst, EXACT);
          lines.push(...lstmForwardLines(r, d));
          lines.push(`\\hat y_{${T}} = ${texVector(r.yhat[T - 1]!, d)}`);
        }
        return lines;
      },
      parts,
    };
  },
};

export const lstmPathsType = erase('lstm', lstmPathsProblem);

/** The worked solution of (a): the count by the recursion, and the paths written out when few. */
function countSolution(T: number, k: number, all: PathNode[][], counts: { c: number[]; h: number[] }): SolutionStep[] {
  const out: SolutionStep[] = [{
    text: `Count backwards. Write $N(x)$ for the number of paths from $L_{${T}}$ back to $x$. $N(h_{${T}}) = 1$ and $N(c_{${T}}) = 1$ (through $h_{${T}} \\to c_{${T}}$). ` +
      `$h_t$ is reached from the four gates of step $t+1$ — from $o_{t+1}$ through $h_{t+1}$, from $f_{t+1}, i_{t+1}, g_{t+1}$ through $c_{t+1}$ — and $c_t$ from $h_t$ and from $c_{t+1}$:`,
    math: `N(h_t) = N(h_{t+1}) + 3\\,N(c_{t+1}),\\qquad N(c_t) = N(h_t) + N(c_{t+1})`,
  }];
  const rows: string[] = [];
  for (let t = T - 1; t >= k; t--) rows.push(`N(h_{${t}}) = ${counts.h[t + 1]} + 3 \\cdot ${counts.c[t + 1]} = ${counts.h[t]},\\quad N(c_{${t}}) = ${counts.h[t]} + ${counts.c[t + 1]} = ${counts.c[t]}`);
  out.push({ math: rows.join(',\\qquad ') });
  out.push({ text: `$W_{hf}^{(${k})}$ is reached only through $c_{${k}} \\to f_{${k}}$, so there are $N(c_{${k}}) = ${all.length}$ paths.` });
  if (all.length <= 8) {
    out.push({ text: 'They are:' });
    for (const p of all) out.push({ math: pathTex(p) });
  }
  return out;
}

const WHY: Record<Distractor, (k: number) => string> = {
  'lstm-path-wrong-gate': (k) => `its last gate is not $f_{${k}}$: $W_{hf}^{(${k})}$ feeds only the forget gate of step $${k}$ (the notes cross out such a branch)`,
  'lstm-path-wrong-step': () => 'a gate of step $t$ is sent back to $h_t$; it depends on $h_{t-1}$, the state before it (the notes\' crossed-out $f_2 \\to h_2 \\to c_1$)',
  'lstm-path-skips-node': () => 'it skips a node: one of its arrows joins two quantities neither of which is computed from the other directly',
};

function choiceSolution(listed: ListedPaths, k: number): SolutionStep[] {
  return [
    { text: 'Check each arrow against the dependences ($h_t \\leftarrow o_t, c_t$; $c_t \\leftarrow f_t, i_t, g_t, c_{t-1}$; gates of step $t \\leftarrow h_{t-1}$). The valid path:', math: pathTex(listed.answer) },
    ...DISTRACTORS.map((m) => ({ text: `Not valid — ${WHY[m](k)}:`, math: pathTex(listed.distractors[m]) })),
  ];
}

function groupSolution(inst: LstmInstance, s: LstmSolution, g: GroupValues, group: PathGroup, k: number, all: PathNode[][], d: number): SolutionStep[] {
  const T = inst.x.length;
  const L = `L_{${T}}`;
  const W = `W_{hf}^{(${k})}`;
  const k1 = k + 1;
  const dd = (a: string, b: string) => `\\frac{\\partial ${a}}{\\partial ${b}}`;
  const v = (name: 'f' | 'i' | 'g' | 'o' | 'c' | 'm' | 'h', t: number) => s[name][t - 1]![0]!;
  const sp = (name: 'f' | 'i' | 'o', t: number) => v(name, t) * (1 - v(name, t));
  const members = all.filter((p) => pathGroup(p, k) === group);
  const out: SolutionStep[] = [];
  out.push({
    text: `This group has ${members.length} path${members.length === 1 ? '' : 's'}${members.length <= 4 ? ':' : `; they share the end $\\dots ${group === 'cell' ? `\\to c_{${k1}} \\to c_{${k}}` : group === 'output' ? `\\to o_{${k1}} \\to h_{${k}} \\to c_{${k}}` : `\\to \\{f,i,g\\}_{${k1}} \\to h_{${k}} \\to c_{${k}}`} \\to f_{${k}} \\to ${W}$, and the paths before it add up to $${dd(L, group === 'output' ? `h_{${k1}}` : `c_{${k1}}`)}$.`}`,
    ...(members.length <= 4 ? { math: members.map(pathTex).join(',\\qquad ') } : {}),
  });
  // the error reaching step k+1
  if (k1 === T) {
    out.push({
      text: `From the loss: $${dd(L, `h_{${T}}`)} = (\\hat y_{${T}} - y_{${T}})\\,V$ and $${dd(L, `c_{${T}}`)} = ${dd(L, `h_{${T}}`)}\\, o_{${T}}(1 - m_{${T}}^2)$:`,
      math: `${dd(L, `h_{${T}}`)} = ${arithmeticLine(times(num(s.yhat[T - 1]![0]! - inst.y[T - 1]![0]!), given(inst.V[0]![0]!)), g.dh, d)},\\qquad ${dd(L, `c_{${T}}`)} = ${arithmeticLine(times(num(g.dh), num(v('o', T)), num(1 - v('m', T) ** 2)), g.dc, d)}`,
    });
  } else {
    out.push({
      text: `The error reaching step $${k1}$ (the backward pass of the notes from step $${T}$, every path after step $${k1}$ included):`,
      math: `${dd(L, `h_{${k1}}`)} = ${texNumber(g.dh, d)},\\qquad ${dd(L, `c_{${k1}}`)} = ${texNumber(g.dc, d)}`,
    });
  }
  const cPrev = k === 1 ? inst.c0[0]! : v('c', k - 1), hPrev = k === 1 ? inst.h0[0]! : v('h', k - 1);
  const localTerms = times(k === 1 ? given(cPrev) : num(cPrev), num(sp('f', k)), k === 1 ? given(hPrev) : num(hPrev));
  out.push({
    text: `The common end $c_{${k}} \\to f_{${k}} \\to ${W}$:`,
    math: `${dd(`c_{${k}}`, `f_{${k}}`)}\\,${dd(`f_{${k}}`, W)} = c_{${k - 1}}\\,\\sigma'(a^f_{${k}})\\,h_{${k - 1}} = ${arithmeticLine(localTerms, g.local, d)}`,
  });
  if (group !== 'cell') {
    out.push({ math: `${dd(`h_{${k}}`, `c_{${k}}`)} = o_{${k}}(1 - m_{${k}}^2) = ${arithmeticLine(times(num(v('o', k)), num(1 - v('m', k) ** 2)), g.kappa, d)}` });
  }
  const w = (name: 'Whf' | 'Whi' | 'Whg' | 'Who') => given(inst[name][0]![0]!);
  if (group === 'cell') {
    out.push({
      math: `${dd(L, `c_{${k1}}`)}\\,${dd(`c_{${k1}}`, `c_{${k}}`)}\\Big|_{\\text{direct}}\\,${dd(`c_{${k}}`, `f_{${k}}`)}\\,${dd(`f_{${k}}`, W)} = ${dd(L, `c_{${k1}}`)}\\, f_{${k1}}\\, c_{${k - 1}}\\sigma'(a^f_{${k}})h_{${k - 1}} = ${arithmeticLine(times(num(g.dc), num(v('f', k1)), num(g.local)), g.cell, d)}`,
    });
  } else if (group === 'output') {
    out.push({
      math: `${dd(`h_{${k1}}`, `o_{${k1}}`)}\\,${dd(`o_{${k1}}`, `h_{${k}}`)} = m_{${k1}}\\,\\sigma'(a^o_{${k1}})\\,W_{ho} = ${arithmeticLine(times(num(v('m', k1)), num(sp('o', k1)), w('Who')), g.outputGate, d)}`,
    });
    out.push({
      math: `${dd(L, `h_{${k1}}`)}\\,${dd(`h_{${k1}}`, `o_{${k1}}`)}\\,${dd(`o_{${k1}}`, `h_{${k}}`)}\\,${dd(`h_{${k}}`, `c_{${k}}`)}\\,${dd(`c_{${k}}`, `f_{${k}}`)}\\,${dd(`f_{${k}}`, W)} = ${arithmeticLine(times(num(g.dh), num(g.outputGate), num(g.kappa), num(g.local)), g.output, d)}`,
    });
  } else {
    const gatesSym = `c_{${k}}\\,\\sigma'(a^f_{${k1}})\\,W_{hf} + g_{${k1}}\\,\\sigma'(a^i_{${k1}})\\,W_{hi} + i_{${k1}}\\tanh'(a^g_{${k1}})\\,W_{hg}`;
    out.push({
      text: `The three gates of step $${k1}$ together (the bracket of the total $\\partial c_{${k1}}/\\partial c_{${k}}$):`,
      math: `${gatesSym} = ${arithmeticLine(sum(times(num(v('c', k)), num(sp('f', k1)), w('Whf')), times(num(v('g', k1)), num(sp('i', k1)), w('Whi')), times(num(v('i', k1)), num(1 - v('g', k1) ** 2), w('Whg'))), g.gates, d)}`,
    });
    out.push({
      math: `${dd(L, `c_{${k1}}`)}\\Big(\\textstyle\\sum_{G = f,i,g} ${dd(`c_{${k1}}`, `G_{${k1}}`)}${dd(`G_{${k1}}`, `h_{${k}}`)}\\Big)${dd(`h_{${k}}`, `c_{${k}}`)}\\,${dd(`c_{${k}}`, `f_{${k}}`)}\\,${dd(`f_{${k}}`, W)} = ${arithmeticLine(times(num(g.dc), num(g.gates), num(g.kappa), num(g.local)), g.gatesGroup, d)}`,
    });
  }
  return out;
}
