/**
 * View models for the templates: what a worksheet, an answer key and the class cover sheet show,
 * built from key variants (instances and exact answers) by asking each problem type to build its
 * question again — deterministic, so the sheet shows exactly what the key grades. Templates read
 * only these objects; every string in them is either escaped text or KaTeX output.
 */
import type { Bank } from '../problems/bank.js';
import { acceptance, sheetRule } from '../contract/tolerance.js';
import { plainValue, texValue } from '../problems/format.js';
import { numericTolerances, type KeyPart, type KeyVariant } from '../problems/key.js';
import { problemType } from '../problems/registry.js';
import type { AnswerValue, BuiltQuestion } from '../problems/types.js';
import { solve, type Solution } from '../models/solve.js';
import { GradsheetError } from '../errors.js';
import { perStepChart } from './chart.js';
import { renderRich, renderTex } from './math.js';
import { titleHtml, titleText } from './typeset.js';

export type Paper = 'A4' | 'Letter';

export interface PartView {
  id: string;
  label: string;
  promptHtml: string;
  points: number;
  kind: KeyPart['kind'];
  /** answer boxes: rows × cols (a number is 1 × 1) */
  box: { rows: number[]; cols: number[] } | null;
  choices: { value: string; html: string }[];
  /** the answer at the sheet's printed precision (key only) */
  answerHtml: string;
  answerText: string;
  /** what this part accepts, where it differs from the sheet's rule (empty otherwise) */
  acceptNote: string;
  steps: { textHtml: string; mathHtml: string }[];
}

export interface QuestionView {
  id: string;
  number: number;
  title: string;
  /** the title typeset (typeset.ts): plain math in it as KaTeX */
  titleHtml: string;
  points: number;
  introHtml: string;
  givenHtml: string[];
  parts: PartView[];
  chartSvg: string;
}

export interface SheetView {
  /** the bank's title as plain Unicode, for the running header (typeset.ts titleText) */
  bankTitle: string;
  bankTitleHtml: string;
  course: string;
  code: string;
  student: string;
  name: string;
  digits: number;
  /** what the grader accepts, in words ("within 1% of the exact value") */
  acceptance: string;
  totalPoints: number;
  questions: QuestionView[];
}

function boxShape(value: AnswerValue): { rows: number[]; cols: number[] } | null {
  if (typeof value === 'string') return null;
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  if (typeof value === 'number') return { rows: [0], cols: [0] };
  if (value.length > 0 && Array.isArray(value[0])) return { rows: range(value.length), cols: range((value[0] as number[]).length) };
  return { rows: range(value.length), cols: [0] };
}

/** The worksheet / key view of one variant. `withAnswers` adds answers, worked solutions and charts. */
export function sheetView(bank: Bank, variant: KeyVariant, withAnswers: boolean): SheetView {
  const rule = sheetRule(numericTolerances(variant));
  const questions = variant.questions.map((q, n): QuestionView => {
    const type = problemType(q.type);
    if (!type) throw new GradsheetError('invalid-input', `Question ${q.id} has the unknown type "${q.type}".`);
    const built: BuiltQuestion = type.build(q.instance, q.params, { digits: bank.digits, generator: bank.generator });
    const solution: Solution = solve(q.instance);
    const parts = q.parts.map((p, k): PartView => {
      const spec = built.parts[k]!;
      return {
        id: p.id,
        label: spec.key,
        promptHtml: renderRich(spec.prompt),
        points: p.points,
        kind: p.kind,
        box: boxShape(p.answer),
        choices: (p.choices ?? []).map((c) => ({ value: c, html: titleHtml(c) })),
        answerHtml: !withAnswers ? '' : typeof p.answer === 'string' ? `<span class="choice-answer">${titleHtml(p.answer)}</span>` : renderTex(texValue(p.answer, bank.digits)),
        answerText: withAnswers ? plainValue(p.answer, bank.digits) : '',
        acceptNote: p.kind === 'choice' || !p.tolerance || acceptance(p.tolerance) === rule ? '' : `accepted: ${acceptance(p.tolerance)}`,
        steps: withAnswers ? spec.solution(solution).map((s) => ({ textHtml: s.text ? renderRich(s.text) : '', mathHtml: s.math ? renderTex(s.math, true) : '' })) : [],
      };
    });
    return {
      id: q.id,
      number: n + 1,
      title: q.title,
      titleHtml: titleHtml(q.title),
      points: parts.reduce((a, p) => a + p.points, 0),
      introHtml: renderRich(built.intro),
      givenHtml: built.given().map((line) => renderTex(line, true)),
      parts,
      chartSvg: withAnswers ? chartFor(q.type, solution) : '',
    };
  });
  return {
    bankTitle: titleText(bank.title),
    bankTitleHtml: titleHtml(bank.title),
    course: bank.course ?? '',
    code: variant.code,
    student: variant.student,
    name: variant.name,
    digits: bank.digits,
    acceptance: rule,
    totalPoints: questions.reduce((a, q) => a + q.points, 0),
    questions,
  };
}

/** Long-range questions get the picture of their per-step terms in the key. */
function chartFor(type: string, solution: Solution): string {
  if (type !== 'rnn.long-range' || solution.model !== 'rnn') return '';
  const T = solution.dL_dU_by_step.length;
  return perStepChart(solution.dL_dU_by_step.map((m) => Math.abs(m[0]![0]!)), { yLabel: `|\\partial L_{${T}}/\\partial U^{(k)}|` });
}

export interface CoverView {
  bankTitle: string;
  bankTitleHtml: string;
  course: string;
  bankId: string;
  bankHash: string;
  count: number;
  rows: { number: number; student: string; name: string; code: string }[];
}

export function coverView(bank: Bank, variants: readonly KeyVariant[]): CoverView {
  return {
    bankTitle: titleText(bank.title),
    bankTitleHtml: titleHtml(bank.title),
    course: bank.course ?? '',
    bankId: bank.id,
    bankHash: bank.hash.slice(0, 12),
    count: variants.length,
    rows: variants.map((v, i) => ({ number: i + 1, student: v.student, name: v.name, code: v.code })),
  };
}
