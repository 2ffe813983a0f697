/**
 * `solve`: one validated instance in, the full solution of MATH.md §4 out (every key it lists,
 * plus pre-activations, per-step losses and the per-step terms of every shared parameter).
 */
import { GradsheetError } from '../errors.js';
import { instanceLabel, parseInstance, type Instance } from './instance.js';
import { solveLstm, type LstmSolution } from './lstm.js';
import { solveRnn, type RnnSolution } from './rnn.js';

export type Solution = RnnSolution | LstmSolution;

export function solve(inst: Instance): Solution {
  return inst.model === 'rnn' ? solveRnn(inst) : solveLstm(inst);
}

/** The first key whose value holds a non-finite number, or null. */
function nonFiniteKey(solution: Solution): string | null {
  for (const [key, value] of Object.entries(solution)) {
    if (typeof value === 'string') continue;
    const flat = [value].flat(3) as unknown[];
    if (flat.some((v) => typeof v === 'number' && !Number.isFinite(v))) return key;
  }
  return null;
}

/**
 * Validates and solves raw JSON input (one instance or an array of them). `root` is the JSON
 * path the input sits at, used in error messages.
 */
export function solveInput(input: unknown, root = '$'): Solution {
  const solution = solve(parseInstance(input, root));
  const bad = nonFiniteKey(solution);
  if (bad !== null) {
    const label = instanceLabel(root);
    throw new GradsheetError('numeric', `The ${label} overflows: ${bad} is not a finite number in double precision; use smaller weights or inputs.`);
  }
  return solution;
}
