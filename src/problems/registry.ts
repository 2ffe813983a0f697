/** Every problem type, by id. The order is the order `gradsheet banks` and the README list them. */
import { activationsType } from './activations.js';
import { conceptMemoryType } from './concept-memory.js';
import { gruBpttType } from './gru-bptt.js';
import { CONCEPT_TYPES } from './concepts.js';
import { gruForwardType } from './gru-forward.js';
import { gruStateJacobianType } from './gru-state-jacobian.js';
import { lstmBpttType } from './lstm-bptt.js';
import { lstmCellJacobianType } from './lstm-cell-jacobian.js';
import { lstmForwardType } from './lstm-forward.js';
import { lstmPathsType } from './lstm-paths.js';
import { rnnBpttType } from './rnn-bptt.js';
import { rnnClippingType } from './rnn-clipping.js';
import { rnnForwardType } from './rnn-forward.js';
import { rnnJacobianType } from './rnn-jacobian.js';
import { rnnLongRangeType } from './rnn-long-range.js';
import { rnnNormType } from './rnn-norm.js';
import { rnnTruncatedType } from './rnn-truncated.js';
import { rnnRecursionType } from './rnn-recursion.js';
import type { AnyProblemType } from './types.js';

export const PROBLEM_TYPES: readonly AnyProblemType[] = [
  activationsType,
  rnnForwardType,
  rnnJacobianType,
  rnnBpttType,
  rnnLongRangeType, rnnNormType,
  rnnTruncatedType,
  rnnClippingType,
  rnnRecursionType,
  lstmForwardType,
  lstmCellJacobianType,
  lstmBpttType,
  lstmPathsType,
  conceptMemoryType,
  ...CONCEPT_TYPES,
  gruForwardType,
  gruStateJacobianType,
  gruBpttType,
];

const byId = new Map(PROBLEM_TYPES.map((t) => [t.id, t]));

export function problemType(id: string): AnyProblemType | undefined {
  return byId.get(id);
}

export const PROBLEM_TYPE_IDS = PROBLEM_TYPES.map((t) => t.id);
