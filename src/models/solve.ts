/**
 * `solve`: one validated instance in, the full solution of MATH.md §4 out (every key it lists,
 * plus pre-activations, per-step losses and the per-step terms of every shared parameter).
 */
import { solveActivations, type ActivationsSolution } from './activations.js';
import type { Instance } from './instance.js';
import { emitLstm, emitRnn, emitValue, ValueBuilder, type Emitter } from './fused.js';
import { PRINTED, printedJson } from './solution-json.js';
import { solveLstm, type LstmSolution } from './lstm.js';
import { solveRnn, type RnnSolution } from './rnn.js';

export type Solution = RnnSolution | LstmSolution | ActivationsSolution;

export function solve(inst: Instance): Solution {
  if (inst.model === 'rnn') return solveRnn(inst);
  if (inst.model === 'lstm') return solveLstm(inst);
  return solveActivations(inst);
}

/**
 * The values `gradsheet solve` prints for a validated instance, in PRINTED order after `model`:
 * from the fused kernels for the RNN and the LSTM (fused.ts), from the solver otherwise.
 */
export function emitPrinted(inst: Instance, e: Emitter): void {
  if (inst.model === 'rnn') return emitRnn(inst, e);
  if (inst.model === 'lstm') return emitLstm(inst, e);
  const solution = solve(inst) as unknown as Record<string, unknown>;
  const keys = PRINTED[inst.model];
  for (let k = 1; k < keys.length; k++) emitValue(e, solution[keys[k]!]);
}

/**
 * The solution of a validated instance as the JSON text `gradsheet solve` prints: by default the
 * keys of MATH.md §4 (PRINTED), with `all` everything the solver knows. An overflow is an error
 * naming the key.
 */
export function solutionJson(inst: Instance, root = '$', options: { all?: boolean } = {}): string {
  if (options.all) return printedJson(solve(inst) as unknown as Record<string, unknown>, root);
  const values = new ValueBuilder();
  emitPrinted(inst, values);
  const keys = PRINTED[inst.model];
  const printed: Record<string, unknown> = { model: inst.model };
  for (let k = 1; k < keys.length; k++) printed[keys[k]!] = values.values[k - 1];
  return printedJson(printed, root);
}
