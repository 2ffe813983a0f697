/**
 * Item analysis of a class's graded sheets, per part: how often it was answered and right, its
 * most frequent mistakes, its facility and discrimination, and whether it was harder in some
 * variants than in others. Pure functions of the sheets that count (one per student); the report
 * shows what they return.
 *
 * - facility: the points the class earned on the part over the points available (the mean score
 *   over the part's maximum), a part left blank scoring 0: 1 when everyone got it, 0 when no one did;
 * - discrimination: Pearson's r between the part's score and the rest of the sheet's score (the
 *   sheet's total minus this part), so the part is not correlated with itself: near 1 when the
 *   students who do well elsewhere get it and the others do not, near 0 or below when it tells the
 *   strong from the weak no better than chance (or backwards). Undefined (null) for fewer than
 *   three sheets, or when either score is the same on every sheet;
 * - across variants: every student's variant has its own numbers, but some questions also draw a
 *   kind (the regime: vanishing, exploding or neither; a gate regime). What was drawn is what the
 *   right answer of the question's choice part says, so the parts of such a question are grouped
 *   by that answer and the facility of each group given. Otherwise sheets are grouped by worksheet
 *   code, which compares anything only when several students share a variant.
 */
import type { PartStatus } from './mark.js';
import { splitPartId } from '../problems/key.js';

/** One part of one sheet, as graded. */
export interface SheetPart {
  id: string;
  score: number;
  max: number;
  status: PartStatus;
  mistake?: string;
}

/** One sheet that counts: its variant, its total and its parts. */
export interface Sheet {
  /** the worksheet code: the variant */
  variant: string;
  /** the sheet's score (all its parts) */
  total: number;
  parts: readonly SheetPart[];
  /** what the variant drew, by choice part: its right answer ("q5.c" → "vanishing") */
  drawn?: Readonly<Record<string, string>>;
}

/** Groups smaller than this are shown but left out of a spread (a variant with one sheet says nothing). */
export const MIN_GROUP = 2;

/**
 * Pearson's correlation coefficient of two equally long samples; null when it is undefined: fewer
 * than three pairs, or either sample the same throughout (no variance). Two passes (the means,
 * then the centred sums) for accuracy.
 */
export function pearson(x: readonly number[], y: readonly number[]): number | null {
  const n = x.length;
  if (n !== y.length) throw new Error(`pearson: ${n} x values but ${y.length} y values`);
  if (n < 3 || !varies(x) || !varies(y)) return null;
  let mx = 0, my = 0;
  for (let i = 0; i < n; i++) { mx += x[i]!; my += y[i]!; }
  mx /= n; my /= n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx, dy = y[i]! - my;
    sxy += dx * dy; sxx += dx * dx; syy += dy * dy;
  }
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/** Whether a sample takes more than one value (compared exactly: a mean's rounding is no variance). */
function varies(xs: readonly number[]): boolean {
  return xs.some((v) => v !== xs[0]);
}

/** Points earned over points available: the mean score over the mean maximum; null without points to earn. */
export function facility(scores: readonly number[], maxes: readonly number[]): number | null {
  let s = 0, m = 0;
  for (let i = 0; i < scores.length; i++) { s += scores[i]!; m += maxes[i]!; }
  return m > 0 ? s / m : null;
}

/** Pearson's r of a part's scores with the rest of each sheet (its total minus the part). */
export function discrimination(scores: readonly number[], totals: readonly number[]): number | null {
  return pearson(scores, totals.map((t, i) => t - scores[i]!));
}

export interface GroupFacility {
  label: string;
  sheets: number;
  facility: number | null;
}

/** The facility of each group of sheets (labels[i] is sheet i's group), groups in label order. */
export function groupFacility(labels: readonly string[], scores: readonly number[], maxes: readonly number[]): GroupFacility[] {
  const groups = new Map<string, { scores: number[]; maxes: number[] }>();
  labels.forEach((label, i) => {
    let g = groups.get(label);
    if (!g) groups.set(label, (g = { scores: [], maxes: [] }));
    g.scores.push(scores[i]!);
    g.maxes.push(maxes[i]!);
  });
  return [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([label, g]) => ({ label, sheets: g.scores.length, facility: facility(g.scores, g.maxes) }));
}

export interface Spread {
  /** the lowest and highest facility among the groups compared */
  min: number;
  max: number;
  /** how many groups were compared (each of at least MIN_GROUP sheets) */
  groups: number;
  /** the smallest of them, in sheets */
  smallest: number;
}

/** The range of facility over the groups of at least `minSheets` sheets; null when fewer than two such groups. */
export function facilitySpread(groups: readonly GroupFacility[], minSheets = MIN_GROUP): Spread | null {
  const compared = groups.filter((g) => g.sheets >= minSheets && g.facility !== null);
  if (compared.length < 2) return null;
  const f = compared.map((g) => g.facility!);
  return { min: Math.min(...f), max: Math.max(...f), groups: compared.length, smallest: Math.min(...compared.map((g) => g.sheets)) };
}

export interface PartAnalysis {
  id: string;
  /** sheets that have the part (every counted sheet of the bank, in the usual case) */
  sheets: number;
  /** sheets with an answer to the part (anything but missing) */
  answered: number;
  correct: number;
  /** catalogued mistakes, most frequent first: how many sheets made each */
  mistakes: { id: string; sheets: number }[];
  facility: number | null;
  discrimination: number | null;
  /** by what the variant drew, once per choice part of the question whose right answer varies */
  byDrawn: { part: string; groups: GroupFacility[]; spread: Spread | null }[];
  /** by worksheet code: how many variants have at least MIN_GROUP sheets, and the spread over them */
  byVariant: { variants: number; spread: Spread | null };
}

/** Every part's analysis over the sheets that count, parts in the order they first appear. Parts worth no points (unknown ids) are left out. */
export function analyseParts(sheets: readonly Sheet[]): PartAnalysis[] {
  const columns = new Map<string, { sheet: number[]; score: number[]; max: number[]; status: PartStatus[]; mistake: (string | undefined)[] }>();
  sheets.forEach((sheet, si) => {
    for (const p of sheet.parts) {
      if (!(p.max > 0)) continue;
      let c = columns.get(p.id);
      if (!c) columns.set(p.id, (c = { sheet: [], score: [], max: [], status: [], mistake: [] }));
      c.sheet.push(si); c.score.push(p.score); c.max.push(p.max); c.status.push(p.status); c.mistake.push(p.mistake);
    }
  });
  return [...columns].map(([id, c]) => {
    const mistakes = new Map<string, number>();
    for (const m of c.mistake) if (m !== undefined) mistakes.set(m, (mistakes.get(m) ?? 0) + 1);
    // the choice parts of this question whose right answer is not the same on every sheet
    const { question } = splitPartId(id);
    const drawnParts = new Set<string>();
    for (const si of c.sheet) for (const k of Object.keys(sheets[si]!.drawn ?? {})) if (splitPartId(k).question === question) drawnParts.add(k);
    const byDrawn = [...drawnParts].sort().flatMap((part) => {
      const rows = c.sheet.map((si, i) => ({ label: sheets[si]!.drawn?.[part], i })).filter((r): r is { label: string; i: number } => r.label !== undefined);
      if (new Set(rows.map((r) => r.label)).size < 2) return [];
      const groups = groupFacility(rows.map((r) => r.label), rows.map((r) => c.score[r.i]!), rows.map((r) => c.max[r.i]!));
      return [{ part, groups, spread: facilitySpread(groups) }];
    });
    const variants = groupFacility(c.sheet.map((si) => sheets[si]!.variant), c.score, c.max);
    return {
      id,
      sheets: c.sheet.length,
      answered: c.status.filter((s) => s !== 'missing').length,
      correct: c.status.filter((s) => s === 'correct').length,
      mistakes: [...mistakes].sort((a, b) => b[1] - a[1]).map(([m, n]) => ({ id: m, sheets: n })),
      facility: facility(c.score, c.max),
      discrimination: discrimination(c.score, c.sheet.map((si) => sheets[si]!.total)),
      byDrawn,
      byVariant: { variants: variants.filter((g) => g.sheets >= MIN_GROUP).length, spread: facilitySpread(variants) },
    };
  });
}
