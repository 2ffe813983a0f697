/**
 * Tolerance: when a number counts as the answer. Shared by the generator (which redraws instances
 * where a rounded hand computation falls outside it, or a catalogued mistake falls inside it) and
 * the grader.
 *
 * - `{rtol, atol}`: |given − exact| ≤ atol + rtol·|exact| (the default: rtol 0.01, atol 1e-4)
 * - `{sigfigs: n}`: given lies in the rounding interval of exact at n significant figures,
 *   |given − exact| ≤ ½·10^(⌊log₁₀|exact|⌋ − n + 1)
 * - `{log10: d}`: same sign, and |log₁₀|given| − log₁₀|exact|| ≤ d (vanishing/exploding magnitudes)
 */
import { z } from 'zod';

export const toleranceSchema = z.union([
  z.object({ rtol: z.number().min(0).max(1), atol: z.number().min(0) }).strict(),
  z.object({ sigfigs: z.number().int().min(1).max(15) }).strict(),
  z.object({ log10: z.number().positive().max(10) }).strict(),
]);

export type Tolerance = z.infer<typeof toleranceSchema>;

export const DEFAULT_TOLERANCE: Tolerance = Object.freeze({ rtol: 0.01, atol: 1e-4 }) as Tolerance;

export function withinTolerance(exact: number, given: number, tol: Tolerance): boolean {
  if (!Number.isFinite(given) || !Number.isFinite(exact)) return false;
  if ('rtol' in tol) return Math.abs(given - exact) <= tol.atol + tol.rtol * Math.abs(exact);
  if ('sigfigs' in tol) {
    if (exact === 0) return given === 0;
    const halfUnit = 0.5 * 10 ** (Math.floor(Math.log10(Math.abs(exact))) - tol.sigfigs + 1);
    // a hair of slack for binary representation at the interval's edge
    return Math.abs(given - exact) <= halfUnit * (1 + 1e-12);
  }
  if (exact === 0 || given === 0) return exact === given;
  return Math.sign(exact) === Math.sign(given) && Math.abs(Math.log10(Math.abs(given)) - Math.log10(Math.abs(exact))) <= tol.log10;
}

/** Elementwise: every entry of a number, vector or matrix within tolerance (shapes must agree). */
export function allWithinTolerance(exact: unknown, given: unknown, tol: Tolerance): boolean {
  if (typeof exact === 'number') return typeof given === 'number' && withinTolerance(exact, given, tol);
  if (Array.isArray(exact)) {
    return Array.isArray(given) && given.length === exact.length && exact.every((e, i) => allWithinTolerance(e, given[i], tol));
  }
  return exact === given;
}

/** A tolerance in the words a sheet states it: what an answer must be to be accepted. */
export function acceptance(tol: Tolerance): string {
  if ('rtol' in tol) {
    const pct = `${Number((tol.rtol * 100).toPrecision(3))}%`;
    if (tol.rtol === 0) return `within ${tol.atol} of the exact value`;
    return tol.atol === 0 ? `within ${pct} of the exact value` : `within ${tol.atol} plus ${pct} of the exact value`;
  }
  if ('sigfigs' in tol) return `correct to ${tol.sigfigs} significant figures`;
  return `within ${tol.log10} of the exact value in log₁₀ (a factor of ${Number((10 ** tol.log10).toPrecision(3))})`;
}

/**
 * The rule a sheet states once: what most of its numeric parts accept (the parts whose rule
 * differs say so beside them); empty when it has no numeric part.
 */
export function sheetRule(tolerances: readonly Tolerance[]): string {
  const counts = new Map<string, number>();
  for (const t of tolerances) counts.set(acceptance(t), (counts.get(acceptance(t)) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
}
