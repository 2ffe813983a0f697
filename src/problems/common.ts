/** Pieces the problem types share: part letters, the "given" lines of an RNN, value kinds. */
import type { Convention } from '../models/convention.js';
import type { RnnInstance } from '../models/instance.js';
import { texExact } from './format.js';
import type { AnswerValue, Notation, PartKind } from './types.js';

/** a, b, …, z, aa, ab, … */
export function partKey(index: number): string {
  let key = '';
  let n = index;
  do {
    key = String.fromCharCode(97 + (n % 26)) + key;
    n = Math.floor(n / 26) - 1;
  } while (n >= 0);
  return key;
}

/** A given value in TeX, exactly (grid values are short). */
export function texGiven(value: number | readonly number[] | readonly (readonly number[])[]): string {
  if (typeof value === 'number') return texExact(value);
  if (value.length === 0) return '';
  if (Array.isArray(value[0])) {
    const m = value as readonly (readonly number[])[];
    if (m.length === 1 && m[0]!.length === 1) return texExact(m[0]![0]!);
    return `\\begin{bmatrix}${m.map((row) => row.map(texExact).join(' & ')).join('\\\\')}\\end{bmatrix}`;
  }
  const v = value as readonly number[];
  return v.length === 1 ? texExact(v[0]!) : `\\begin{bmatrix}${v.map(texExact).join('\\\\')}\\end{bmatrix}`;
}

/** The kind of a part whose answer has the shape of a state (H entries) or a matrix. */
export function vectorKind(n: number): PartKind {
  return n === 1 ? 'number' : 'vector';
}

export function matrixKind(rows: number, cols: number): PartKind {
  return rows === 1 && cols === 1 ? 'number' : 'matrix';
}

/** A vector as the part's answer: a number when it has one entry. */
export function asVectorAnswer(v: readonly number[]): AnswerValue {
  return v.length === 1 ? v[0]! : v.slice();
}

/** A matrix as the part's answer: a number when 1×1. */
export function asMatrixAnswer(m: readonly (readonly number[])[]): AnswerValue {
  return m.length === 1 && m[0]!.length === 1 ? m[0]![0]! : m.map((row) => row.slice());
}

/** The answer back as a matrix (for follow-through from a student's number or matrix). */
export function toMatrix(value: AnswerValue | undefined, rows: number, cols: number): number[][] | null {
  if (typeof value === 'number' && rows === 1 && cols === 1) return [[value]];
  if (!Array.isArray(value) || value.length !== rows) return null;
  const m = value as unknown[];
  if (!m.every((row) => Array.isArray(row) && row.length === cols && row.every((x) => typeof x === 'number' && Number.isFinite(x)))) return null;
  return m as number[][];
}

/** The answer back as a vector (a number counts as a 1-vector). */
export function toVector(value: AnswerValue | undefined, n: number): number[] | null {
  if (typeof value === 'number' && n === 1) return Number.isFinite(value) ? [value] : null;
  if (!Array.isArray(value) || value.length !== n) return null;
  return (value as unknown[]).every((x) => typeof x === 'number' && Number.isFinite(x)) ? (value as number[]) : null;
}

/** The lines of TeX that state an RNN instance: parameters, inputs, targets. */
export function rnnGiven(inst: RnnInstance): string[] {
  const T = inst.x.length;
  const lines = [
    `U = ${texGiven(inst.U)},\\quad W = ${texGiven(inst.W)},\\quad V = ${texGiven(inst.V)}`,
    `b = ${texGiven(inst.b)},\\quad c = ${texGiven(inst.c)},\\quad s_0 = ${texGiven(inst.s0)}`,
  ];
  return [...lines, ...sequenceLines(inst)];
}

/**
 * The inputs x_1 … x_T and the targets the loss uses (every y_t for the summed loss, y_T alone
 * for the last-step loss), eight scalars or five vectors to a line, in TeX. Shared by the RNN and LSTM types.
 */
export function sequenceLines(inst: { x: readonly (readonly number[])[]; y: readonly (readonly number[])[]; loss?: 'last' | 'sum' }): string[] {
  const T = inst.x.length;
  const lines: string[] = [];
  const seq = (name: string, values: readonly (readonly number[])[], from: number) =>
    values.map((v, t) => `${name}_{${t + from}} = ${texGiven(v)}`).join(',\\quad ');
  // scalars are short: eight to a line; vectors (columns) five
  const perLine = inst.x[0]?.length === 1 ? 8 : 5;
  for (let start = 0; start < T; start += perLine) lines.push(seq('x', inst.x.slice(start, start + perLine), start + 1));
  if (inst.loss === 'sum') {
    for (let start = 0; start < T; start += perLine) lines.push(seq('y', inst.y.slice(start, start + perLine), start + 1));
  } else {
    lines.push(`y_{${T}} = ${texGiven(inst.y[T - 1]!)}`);
  }
  return lines;
}

/** "L_3" or "L = \\sum_t L_t" in TeX, per the instance's loss. */
export function lossSymbol(inst: { loss?: 'last' | 'sum'; x: unknown[] }): string {
  return inst.loss === 'sum' ? 'L' : `L_{${inst.x.length}}`;
}

/** The RNN's equations as a notation the RNN questions of a sheet share. */
export const RNN_NOTATION: Notation = {
  id: 'rnn',
  name: 'the recurrent network',
  text: 'A recurrent network computes $\\theta_t = U x_t + W s_{t-1} + b$, $s_t = \\tanh(\\theta_t)$, $o_t = V s_t + c$.',
};

export function lossSentence(inst: { loss?: 'last' | 'sum'; x: unknown[] }): string {
  const T = inst.x.length;
  return inst.loss === 'sum'
    ? `The loss is the sum over all steps, $L = \\sum_{t=1}^{${T}} L_t$ with $L_t = \\tfrac12\\lVert y_t - o_t\\rVert^2$.`
    : `The loss is the loss at the last step, $L_{${T}} = \\tfrac12\\lVert y_{${T}} - o_{${T}}\\rVert^2$.`;
}

/**
 * A closed-form computation memoised per Convention object: a question's parts each ask for the
 * same closed form under the same few conventions (exact, by hand, each mistake), so it runs
 * once per convention rather than once per part.
 */
export function perConvention<R>(compute: (conv: Convention) => R): (conv: Convention) => R {
  const cache = new Map<Convention, R>();
  return (conv) => {
    let r = cache.get(conv);
    if (r === undefined) {
      r = compute(conv);
      cache.set(conv, r);
    }
    return r;
  };
}
