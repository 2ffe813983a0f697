/**
 * Seeded randomness for the generator. seedrandom's ARC4 stream is fixed by its algorithm, so a
 * seed string gives the same draws on every machine and version — the basis of reproducible
 * variants (tests pin golden variants to catch any drift).
 */
import seedrandom from 'seedrandom';
import { z } from 'zod';

export type Rng = () => number;

export function rngFrom(seed: string): Rng {
  const prng = seedrandom(seed);
  return () => prng();
}

/** A grid of values min, min + step, …, max: what a bank allows parameters to be. */
export const gridSchema = z
  .object({ min: z.number(), max: z.number(), step: z.number().positive() })
  .strict()
  .refine((g) => g.max >= g.min, { message: 'max should be at least min' })
  .refine((g) => (g.max - g.min) / g.step <= 1e6, { message: 'has more than a million points; use a larger step' });
export type Grid = z.infer<typeof gridSchema>;

function decimalsOf(step: number): number {
  const s = String(step);
  const exp = /e-(\d+)$/.exec(s);
  if (exp) return Number(exp[1]);
  return s.includes('.') ? s.split('.')[1]!.length : 0;
}

const gridDecimals = new WeakMap<Grid, number>();

/** Snaps to the grid's decimals, so 0.1·3 prints as 0.3 and not 0.30000000000000004. */
export function snap(value: number, grid: Grid): number {
  let decimals = gridDecimals.get(grid);
  if (decimals === undefined) {
    decimals = Math.min(decimalsOf(grid.step) + decimalsOf(grid.min), 12);
    gridDecimals.set(grid, decimals);
  }
  // k / 10^d is correctly rounded, so it is the same double as parsing the decimal k·10^−d
  // (what toFixed did, through a string, on every draw)
  const scale = 10 ** decimals;
  return Math.round(value * scale) / scale;
}

/** Every point of a grid, in order (a grid has at most a million). */
export function gridPoints(grid: Grid): number[] {
  const n = Math.floor((grid.max - grid.min) / grid.step + 1e-9) + 1;
  return Array.from({ length: n }, (_, k) => snap(grid.min + grid.step * k, grid));
}

/** A uniformly drawn grid point; `nonZero` skips 0 (a zero weight makes a question trivial). */
export function gridValue(rng: Rng, grid: Grid, nonZero = false): number {
  const n = Math.floor((grid.max - grid.min) / grid.step + 1e-9) + 1;
  for (let tries = 0; tries < 100; tries++) {
    const v = snap(grid.min + grid.step * Math.floor(rng() * n), grid);
    if (!nonZero || v !== 0) return v;
  }
  return snap(grid.min === 0 ? grid.step : grid.min, grid);
}

export function gridVector(rng: Rng, grid: Grid, n: number, nonZero = false): number[] {
  return Array.from({ length: n }, () => gridValue(rng, grid, nonZero));
}

export function gridMatrix(rng: Rng, grid: Grid, rows: number, cols: number, nonZero = false): number[][] {
  return Array.from({ length: rows }, () => gridVector(rng, grid, cols, nonZero));
}

/** The nearest grid point to `value`, clamped to the grid. */
export function nearestOnGrid(value: number, grid: Grid): number {
  const clamped = Math.min(grid.max, Math.max(grid.min, value));
  return snap(grid.min + Math.round((clamped - grid.min) / grid.step) * grid.step, grid);
}

export function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)]!;
}

/** A shuffled copy (Fisher–Yates). */
export function shuffle<T>(rng: Rng, items: readonly T[]): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
