import katex from 'katex';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadFormulas } from '../src/contract/formula.js';
import { allWithinTolerance, DEFAULT_TOLERANCE } from '../src/contract/tolerance.js';
import { byHand, EXACT } from '../src/models/convention.js';
import { drawQuestion, type GeneratedQuestion } from '../src/problems/generate.js';
import { rngFrom } from '../src/problems/random.js';
import { PROBLEM_TYPES } from '../src/problems/registry.js';
import { mathOf } from '../src/problems/richtext.js';
import { statement, type AnswerValue } from '../src/problems/types.js';
import { maxRelDiff } from './support/random-instances.js';

/** Parameter sets each type is exercised with; those a type's schema rejects are skipped. */
const PARAM_SETS: Record<string, unknown>[] = [
  {}, { hidden: 2, inputs: 2 }, { hidden: 3, outputs: 2 }, { loss: 'sum' }, { steps: 5 },
  { wrt: 'W' }, { wrt: 'b', hidden: 2 }, { wrt: 'V' }, { wrt: 'Wxi' }, { wrt: 'Who', hidden: 2 },
  { regime: 'exploding' }, { regime: 'neither' }, { regime: 'remember' }, { regime: 'forget' },
];

const DRAWS = 8;

// formula parts (kind expression): follow-through reads the student's formulas
beforeAll(loadFormulas);
const tolerance = () => DEFAULT_TOLERANCE;

function typesetsStrictly(tex: string): void {
  expect(() => katex.renderToString(tex, { strict: 'error', throwOnError: true, displayMode: true }), tex).not.toThrow();
}

function shapeMatchesKind(kind: string, answer: AnswerValue): boolean {
  if (kind === 'number') return typeof answer === 'number';
  if (kind === 'choice' || kind === 'expression') return typeof answer === 'string';
  if (kind === 'vector') return Array.isArray(answer) && answer.every((v) => typeof v === 'number');
  return Array.isArray(answer) && answer.every((row) => Array.isArray(row));
}

for (const type of PROBLEM_TYPES) {
  const sets = PARAM_SETS.map((p) => ({ label: JSON.stringify(p), parsed: type.params.safeParse(p) })).filter((p) => p.parsed.success);
  describe(`the ${type.id} problem type`, () => {
    for (const { label, parsed } of sets) {
      const questions: GeneratedQuestion[] = [];
      const rng = rngFrom(`problems-test|${type.id}|${label}`);
      for (let n = 0; n < DRAWS; n++) questions.push(drawQuestion(type, rng, parsed.data, { digits: 4, generator: 1 }, (spec) => spec.tolerance ?? tolerance()));

      it(`computes every part the same way in the closed forms as in the solver, with params ${label}`, () => {
        for (const q of questions) for (const p of q.parts) {
          if (!p.spec.calc) continue;
          if (typeof p.answer === 'string') expect(p.spec.calc(EXACT)).toBe(p.answer);
          else expect(maxRelDiff(p.spec.calc(EXACT), p.answer, 1e-12), `${p.spec.key} of ${JSON.stringify(q.instance)}`).toBeLessThan(1e-9);
        }
      });

      it(`gives answers of the part's kind, finite, unique part keys, choices among the options (${label})`, () => {
        for (const q of questions) {
          expect(new Set(q.parts.map((p) => p.spec.key)).size).toBe(q.parts.length);
          for (const p of q.parts) {
            expect(shapeMatchesKind(p.spec.kind, p.answer), `${p.spec.key}: ${p.spec.kind} ${JSON.stringify(p.answer)}`).toBe(true);
            if (p.spec.kind === 'choice') expect(p.spec.choices).toContain(p.answer);
            else if (p.spec.kind !== 'expression') expect([p.answer].flat(2).every((v) => Number.isFinite(v))).toBe(true);
          }
        }
      });

      it(`keeps every catalogued mistake outside tolerance and the by-hand answer inside it (${label})`, () => {
        for (const q of questions) for (const p of q.parts) {
          for (const m of p.mistakes) expect(allWithinTolerance(p.answer, m.value, p.tolerance), `${p.spec.key} ${m.id}`).toBe(false);
          if (p.spec.calc && p.spec.kind !== 'choice') expect(allWithinTolerance(p.answer, p.spec.calc(byHand(4)), p.tolerance), p.spec.key).toBe(true);
        }
      });

      it(`recomputes a later part exactly from exact earlier answers (follow-through, ${label})`, () => {
        for (const q of questions) {
          const byKey = Object.fromEntries(q.parts.map((p) => [p.spec.key, p.answer]));
          for (const p of q.parts) {
            if (!p.spec.followThrough) continue;
            const earlier = Object.fromEntries((p.spec.dependsOn ?? []).map((k) => [k, byKey[k]]));
            const value = p.spec.followThrough(earlier);
            expect(value, p.spec.key).not.toBeNull();
            if (typeof p.answer === 'string') expect(value).toBe(p.answer);
            else expect(maxRelDiff(value, p.answer, 1e-12), p.spec.key).toBeLessThan(1e-9);
          }
        }
      });

      it(`typesets every prompt, given line and worked-solution step with KaTeX in strict mode (${label})`, () => {
        for (const q of questions.slice(0, 3)) {
          mathOf(statement(q.built)).forEach(typesetsStrictly);
          q.built.given().forEach(typesetsStrictly);
          for (const p of q.parts) {
            mathOf(p.spec.prompt).forEach(typesetsStrictly);
            if (p.spec.symbol) typesetsStrictly(p.spec.symbol);
            for (const step of p.spec.solution(q.solution)) {
              if (step.math) typesetsStrictly(step.math);
              if (step.text) mathOf(step.text).forEach(typesetsStrictly);
            }
          }
        }
      });
    }

    it('draws the same question from the same seed, and a different one from another seed', () => {
      const draw = (seed: string) => drawQuestion(type, rngFrom(seed), type.params.parse({}), { digits: 4, generator: 1 }, (spec) => spec.tolerance ?? tolerance()).instance;
      expect(draw('same')).toEqual(draw('same'));
      expect(draw('one')).not.toEqual(draw('other'));
    });
  });
}
