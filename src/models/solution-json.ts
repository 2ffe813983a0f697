/**
 * A solution as the JSON text `gradsheet solve` prints: which keys, and the check that every
 * number in it is finite.
 */
import { GradsheetError } from '../errors.js';
import { instanceLabel } from './instance.js';

export type Model = 'rnn' | 'lstm' | 'activations';

/**
 * The keys `gradsheet solve` prints by default: exactly MATH.md §4's (and `model`). `--all` adds
 * everything else the solver knows: pre-activations, per-step losses, gradients of the initial
 * state and the per-step terms of every shared parameter.
 */
export const PRINTED: Record<Model, readonly string[]> = {
  rnn: ['model', 's', 'o', 'loss', 'dL_dU', 'dL_dW', 'dL_dV', 'dL_db', 'dL_dc', 'dL_dU_by_step', 'ds_ds_prev'],
  lstm: ['model', 'f', 'i', 'g', 'o', 'c', 'h', 'yhat', 'loss',
    'dL_dWxf', 'dL_dWxi', 'dL_dWxg', 'dL_dWxo', 'dL_dWhf', 'dL_dWhi', 'dL_dWhg', 'dL_dWho',
    'dL_dbf', 'dL_dbi', 'dL_dbg', 'dL_dbo', 'dL_dV', 'dL_dby', 'dL_dWhf_by_step', 'dc_dc_prev_direct', 'dc_dc_prev'],
  activations: ['model', 'x', 'sinh', 'cosh', 'tanh', 'tanh_prime', 'sigmoid', 'sigmoid_prime'],
};

/** The printed object as JSON text; a number that overflowed is an error naming the instance (`root`) and the key. */
export function printedJson(printed: Record<string, unknown>, root: string): string {
  const json = JSON.stringify(printed);
  // JSON has no NaN or Infinity: JSON.stringify writes them as null, and a solution has no nulls
  if (json.includes('null')) {
    const bad = Object.keys(printed).find((k) => JSON.stringify(printed[k]).includes('null'));
    throw new GradsheetError('numeric', `The ${instanceLabel(root)} overflows: ${bad} is not a finite number in double precision; use smaller weights or inputs.`);
  }
  return json;
}
