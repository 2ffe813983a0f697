/**
 * `solve`: one validated instance in, the full solution of docs/math.md §4 out (every key it lists,
 * plus pre-activations, per-step losses and the per-step terms of every shared parameter).
 */
import { GradsheetError } from '../errors.js';
import { solveActivations, type ActivationsSolution } from './activations.js';
import { instanceLabel, type Instance } from './instance.js';
import { emitLstm, emitRnn, emitValue, ValueBuilder, type Emitter } from './fused.js';
import { solveGru, type GruSolution } from './gru.js';
import { solveLstm, type LstmSolution } from './lstm.js';
import { solveRnn, type RnnSolution } from './rnn.js';

export type Solution = RnnSolution | LstmSolution | GruSolution | ActivationsSolution;

/** What `solve` returns for an instance of type `I`: RnnSolution for an RnnInstance, and so on. */
export type SolutionOf<I extends Instance> = Extract<Solution, { model: I['model'] }>;

/**
 * The keys `gradsheet solve` prints by default: exactly docs/math.md §4.5's (and `model`). `--all` adds
 * everything else the solver knows: pre-activations, per-step losses, gradients of the initial
 * state and the per-step terms of every shared parameter.
 */
export const PRINTED: Record<Solution['model'], readonly string[]> = {
  rnn: ['model', 's', 'o', 'loss', 'dL_dU', 'dL_dW', 'dL_dV', 'dL_db', 'dL_dc', 'dL_dU_by_step', 'ds_ds_prev'],
  lstm: ['model', 'f', 'i', 'g', 'o', 'c', 'h', 'yhat', 'loss',
    'dL_dWxf', 'dL_dWxi', 'dL_dWxg', 'dL_dWxo', 'dL_dWhf', 'dL_dWhi', 'dL_dWhg', 'dL_dWho',
    'dL_dbf', 'dL_dbi', 'dL_dbg', 'dL_dbo', 'dL_dV', 'dL_dby', 'dL_dWhf_by_step', 'dc_dc_prev_direct', 'dc_dc_prev'],
  gru: ['model', 'r', 'z', 'n', 'h', 'yhat', 'loss',
    'dL_dWxr', 'dL_dWxz', 'dL_dWxn', 'dL_dWhr', 'dL_dWhz', 'dL_dWhn', 'dL_dbr', 'dL_dbz', 'dL_dbn',
    'dL_dV', 'dL_dby', 'dL_dWhz_by_step', 'dh_dh_prev_direct', 'dh_dh_prev'],
  activations: ['model', 'x', 'sinh', 'cosh', 'tanh', 'tanh_prime', 'sigmoid', 'sigmoid_prime'],
};

/** The printed object as JSON text; a number that overflowed is an error naming the instance (`root`) and the key. */
function printedJson(printed: Record<string, unknown>, root: string): string {
  const json = JSON.stringify(printed);
  // JSON has no NaN or Infinity: JSON.stringify writes them as null, and a solution has no nulls
  if (json.includes('null')) {
    const bad = Object.keys(printed).find((k) => JSON.stringify(printed[k]).includes('null'));
    throw new GradsheetError('numeric', `The ${instanceLabel(root)} overflows: ${bad} is not a finite number in double precision; use smaller weights or inputs.`);
  }
  return json;
}

export function solve(inst: Instance): Solution {
  if (inst.model === 'rnn') return solveRnn(inst);
  if (inst.model === 'lstm') return solveLstm(inst);
  if (inst.model === 'gru') return solveGru(inst);
  return solveActivations(inst);
}

/**
 * The values `gradsheet solve` prints for a validated instance, in PRINTED order after `model`:
 * from the fused kernels for the RNN and the LSTM (fused.ts), from the solver otherwise (the GRU's
 * closed form, gru.ts, and the activations).
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
 * keys of docs/math.md §4.5 (PRINTED), with `all` everything the solver knows. An overflow is an error
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
