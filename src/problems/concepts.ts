/** The concept items of issue 19 §2, as the registry lists them: the exam-week gates and the saturation counter-example. */
import { conceptGatesType } from './concept-gates.js';
import { conceptSaturationType } from './concept-saturation.js';
import type { AnyProblemType } from './types.js';

export const CONCEPT_TYPES: readonly AnyProblemType[] = [conceptGatesType, conceptSaturationType];
