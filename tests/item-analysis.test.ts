/**
 * Item analysis against numbers worked out by hand (in the comments) on small fixtures: facility,
 * discrimination (Pearson's r of a part with the rest of the sheet), and facility across variants.
 */
import { describe, expect, it } from 'vitest';
import { analyseParts, discrimination, facility, facilitySpread, groupFacility, pearson, type Sheet, type SheetPart } from '../src/grade/item-analysis.js';

describe('pearson', () => {
  it('is 1 on a line rising, -1 on a line falling, and agrees with a small sum done by hand', () => {
    expect(pearson([1, 2, 3, 4], [10, 20, 30, 40])).toBeCloseTo(1, 12);
    expect(pearson([1, 2, 3, 4], [3, 1, -1, -3])).toBeCloseTo(-1, 12);
    // x = 1,2,3; y = 1,3,2: means 2 and 2; dx = -1,0,1; dy = -1,1,0; Σdxdy = 1, Σdx² = 2, Σdy² = 2: r = 1/2
    expect(pearson([1, 2, 3], [1, 3, 2])).toBeCloseTo(0.5, 12);
  });

  it('is undefined for fewer than three pairs, or a sample without variance', () => {
    expect(pearson([1, 2], [2, 1])).toBeNull();
    expect(pearson([0.1 + 0.2, 0.1 + 0.2, 0.1 + 0.2], [1, 2, 3])).toBeNull();
    expect(pearson([1, 2, 3], [5, 5, 5])).toBeNull();
    expect(() => pearson([1, 2, 3], [1, 2])).toThrow();
  });
});

describe('facility and groups', () => {
  it('is points earned over points available, null with nothing to earn', () => {
    expect(facility([2, 1, 0], [2, 2, 2])).toBeCloseTo(0.5, 12);
    expect(facility([], [])).toBeNull();
  });

  it('groups sheets in label order and compares groups of at least two', () => {
    const groups = groupFacility(['b', 'a', 'b', 'c'], [1, 0, 0, 1], [1, 1, 1, 1]);
    expect(groups).toEqual([{ label: 'a', sheets: 1, facility: 0 }, { label: 'b', sheets: 2, facility: 0.5 }, { label: 'c', sheets: 1, facility: 1 }]);
    expect(facilitySpread(groups)).toBeNull(); // only "b" has two sheets
    expect(facilitySpread(groups, 1)).toEqual({ min: 0, max: 1, groups: 3, smallest: 1 });
  });
});

/**
 * Five sheets, three parts: q1.a (2 points), q1.b (1), and q2.a (1, a choice part whose right
 * answer, the drawn regime, is vanishing or exploding). A and C share a variant, as do B and D.
 *
 *   sheet  variant  q1.a  q1.b  q2.a  total   q2.a's answer
 *   A      AAAA     2     1     1     4       vanishing
 *   B      BBBB     2     0     1     3       exploding
 *   C      AAAA     1     1     0     2       vanishing
 *   D      BBBB     0     0     1     1       exploding
 *   E      EEEE     —     0     0     0       vanishing    (q1.a left blank)
 */
function fixture(): Sheet[] {
  const p = (id: string, score: number, max: number, status: SheetPart['status'] = score === max ? 'correct' : score > 0 ? 'partial' : 'incorrect', mistake?: string): SheetPart =>
    ({ id, score, max, status, ...(mistake ? { mistake } : {}) });
  const sheet = (variant: string, parts: SheetPart[], regime: string): Sheet => ({ variant, total: parts.reduce((a, x) => a + x.score, 0), parts, drawn: { 'q2.a': regime } });
  return [
    sheet('AAAA', [p('q1.a', 2, 2), p('q1.b', 1, 1), p('q2.a', 1, 1)], 'vanishing'),
    sheet('BBBB', [p('q1.a', 2, 2), p('q1.b', 0, 1, 'incorrect', 'sign'), p('q2.a', 1, 1)], 'exploding'),
    sheet('AAAA', [p('q1.a', 1, 2), p('q1.b', 1, 1), p('q2.a', 0, 1)], 'vanishing'),
    sheet('BBBB', [p('q1.a', 0, 2, 'incorrect', 'no-tanh'), p('q1.b', 0, 1, 'incorrect', 'sign'), p('q2.a', 1, 1), p('q9.z', 0, 0, 'invalid')], 'exploding'),
    sheet('EEEE', [p('q1.a', 0, 2, 'missing'), p('q1.b', 0, 1, 'missing'), p('q2.a', 0, 1)], 'vanishing'),
  ];
}

describe('analyseParts on five sheets worked by hand', () => {
  const parts = analyseParts(fixture());
  const part = (id: string) => parts.find((x) => x.id === id)!;

  it('lists the parts worth points, in order, with what was answered, right and mistaken', () => {
    expect(parts.map((x) => x.id)).toEqual(['q1.a', 'q1.b', 'q2.a']);
    expect(part('q1.a')).toMatchObject({ sheets: 5, answered: 4, correct: 2, mistakes: [{ id: 'no-tanh', sheets: 1 }] });
    expect(part('q1.b')).toMatchObject({ sheets: 5, answered: 4, correct: 2, mistakes: [{ id: 'sign', sheets: 2 }] });
    expect(part('q2.a')).toMatchObject({ sheets: 5, answered: 5, correct: 3, mistakes: [] });
  });

  it('gives each part its facility: points earned over points available', () => {
    expect(part('q1.a').facility).toBeCloseTo(5 / 10, 12); // 2+2+1+0+0 of 5×2
    expect(part('q1.b').facility).toBeCloseTo(2 / 5, 12);
    expect(part('q2.a').facility).toBeCloseTo(3 / 5, 12);
  });

  it('gives each part its discrimination: r with the rest of the sheet', () => {
    // q1.a: x = 2,2,1,0,0; rest = total − x = 2,1,1,1,0. Means 1 and 1; dx = 1,1,0,−1,−1;
    // dy = 1,0,0,0,−1; Σdxdy = 2, Σdx² = 4, Σdy² = 2: r = 2/√8 = 1/√2
    expect(part('q1.a').discrimination).toBeCloseTo(1 / Math.SQRT2, 12);
    // q1.b: x = 1,0,1,0,0; rest = 3,3,1,1,0. Means 0.4 and 1.6; dx = .6,−.4,.6,−.4,−.4;
    // dy = 1.4,1.4,−.6,−.6,−1.6; Σdxdy = .84−.56−.36+.24+.64 = 0.8; Σdx² = 1.2; Σdy² = 7.2:
    // r = 0.8/√8.64 = 2/(3√6)
    expect(part('q1.b').discrimination).toBeCloseTo(2 / (3 * Math.sqrt(6)), 12);
    // q2.a: x = 1,1,0,1,0; rest = 3,2,2,0,0. Means 0.6 and 1.4; dx = .4,.4,−.6,.4,−.6;
    // dy = 1.6,.6,.6,−1.4,−1.4; Σdxdy = .64+.24−.36−.56+.84 = 0.8; Σdx² = 1.2; Σdy² = 7.2: the same
    expect(part('q2.a').discrimination).toBeCloseTo(2 / (3 * Math.sqrt(6)), 12);
    expect(discrimination([1, 0, 1, 0, 0], [4, 3, 2, 1, 0])).toBeCloseTo(2 / (3 * Math.sqrt(6)), 12);
  });

  it('groups a question\'s parts by what its variant drew, and the others by variant code', () => {
    // q2.a by its own right answer: exploding B, D score 1, 1 → 1; vanishing A, C, E score 1, 0, 0 → 1/3
    expect(part('q2.a').byDrawn).toEqual([{
      part: 'q2.a',
      groups: [{ label: 'exploding', sheets: 2, facility: 1 }, { label: 'vanishing', sheets: 3, facility: 1 / 3 }],
      spread: { min: 1 / 3, max: 1, groups: 2, smallest: 2 },
    }]);
    // q1 draws nothing: its parts are compared by variant, AAAA (A, C) and BBBB (B, D); EEEE has one sheet
    expect(part('q1.a').byDrawn).toEqual([]);
    expect(part('q1.a').byVariant).toEqual({ variants: 2, spread: { min: 2 / 4, max: 3 / 4, groups: 2, smallest: 2 } });
    expect(part('q1.b').byVariant.spread).toEqual({ min: 0, max: 1, groups: 2, smallest: 2 });
  });

  it('leaves discrimination undefined when a part is the same on every sheet, or with fewer than three sheets', () => {
    const all = fixture().map((s) => ({ ...s, parts: s.parts.map((p) => (p.id === 'q2.a' ? { ...p, score: 1, status: 'correct' as const } : p)) }));
    expect(analyseParts(all).find((x) => x.id === 'q2.a')!.discrimination).toBeNull();
    expect(analyseParts(fixture().slice(0, 2)).every((x) => x.discrimination === null)).toBe(true);
    // a regime drawn the same on every sheet groups nothing
    expect(analyseParts(fixture().map((s) => ({ ...s, drawn: { 'q2.a': 'vanishing' } }))).find((x) => x.id === 'q2.a')!.byDrawn).toEqual([]);
  });
});
