/** Solving raw JSON input: validation (zod, with errors naming JSON paths), then `solve`. */
import { parseInstance } from './instance-schema.js';
import { solutionJson, solve, type Solution } from './solve.js';

/** Validates raw JSON input (one instance at the JSON path `root`) and solves it. */
export function solveInput(input: unknown, root = '$'): Solution {
  return solve(parseInstance(input, root));
}

/**
 * Validates and solves raw JSON input and returns the solution as JSON text (full double
 * precision). `root` is the JSON path the input sits at, used in error messages.
 */
export function solveToJson(input: unknown, root = '$', options: { all?: boolean } = {}): string {
  return solutionJson(parseInstance(input, root), root, options);
}
