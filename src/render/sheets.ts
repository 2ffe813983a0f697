/**
 * View models for the templates: what a worksheet, an answer key and the class cover sheet show,
 * built from key variants (instances and exact answers) by asking each problem type to build its
 * question again — deterministic, so the sheet shows exactly what the key grades. Templates read
 * only these objects; every string in them is either escaped text or KaTeX output.
 */
import type { Bank } from '../problems/bank.js';
import { DEFAULT_WORKING_SPACE, type WorkingSpace } from '../problems/working-space.js';
import { acceptance, sheetRule } from '../contract/tolerance.js';
import { plainValue, texValue } from '../problems/format.js';
import { formulaTex, formulasLoaded } from '../contract/formula.js';
import { numericTolerances, splitPartId, type KeyPart, type KeyVariant } from '../problems/key.js';
import { problemType } from '../problems/registry.js';
import { statement, type AnswerValue, type BuiltQuestion, type Notation, type PartKind, type SolutionStep } from '../problems/types.js';
import { solve, type Solution } from '../models/solve.js';
import { GradsheetError } from '../errors.js';
import { perStepChart } from './chart.js';
import { renderRich, renderTex } from './math.js';
import { titleHtml, titleText } from './typeset.js';

export type Paper = 'A4' | 'Letter';


/** Height of one line of working, in mm, at each setting. */
const MM_PER_LINE: Record<WorkingSpace, number> = { none: 0, some: 5, lots: 9 };

/**
 * Lines of working a part needs, read from its worked solution: about a line per 150 characters of
 * TeX the solution writes, and one more for each step with a matrix; 1 to 6 lines for a computed
 * answer (reading a value off needs one), 0 to 2 for a choice (a reason, not a computation).
 */
export function workingLines(kind: PartKind, steps: readonly SolutionStep[]): number {
  const tex = steps.reduce((n, s) => n + (s.math?.length ?? 0), 0);
  const matrices = steps.filter((s) => s.math && /\\begin\{[bp]?matrix\}/.test(s.math)).length;
  const lines = Math.round(tex / 150) + matrices;
  return kind === 'choice' ? Math.min(2, lines) : Math.max(1, Math.min(6, lines));
}

export interface SheetOptions {
  /** overrides the bank's own setting */
  workingSpace?: WorkingSpace;
}

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
  /** expression parts: the symbols the formula may use, typeset */
  symbolsHtml: string;
  answerText: string;
  /** what this part accepts, where it differs from the sheet's rule (empty otherwise) */
  acceptNote: string;
  /** room to work under the prompt, in mm (worksheet only; 0 for none) */
  workMm: number;
  /** a short prompt with one column of boxes (a number or a vector): two such parts may share a row */
  short: boolean;
  steps: { textHtml: string; mathHtml: string }[];
}

export interface QuestionView {
  id: string;
  number: number;
  title: string;
  /** the title typeset (typeset.ts): plain math in it as KaTeX */
  titleHtml: string;
  points: number;
  /** the statement; without its notation's definition when the sheet prints that once, above */
  introHtml: string;
  /** where the definition it builds on is, when the sheet prints it once ("" otherwise) */
  notationRef: string;
  /** the given data's lines in groups a page may break between (givenGroups) */
  givenGroups: string[][];
  parts: PartView[];
  chartSvg: string;
}

/** Lines of given data kept with the statement above them, and with the first part below them. */
export const GIVEN_KEPT_LINES = 3;

/**
 * The given data's lines grouped for printing: the first GIVEN_KEPT_LINES stay with the statement
 * and the last GIVEN_KEPT_LINES with the first part; a page may break between the lines in between.
 * A short block is one group (it never breaks). So a question whose data fills half a page starts
 * on the page where the previous one ends, instead of leaving that page half empty.
 */
export function givenGroups(lines: readonly string[]): string[][] {
  if (lines.length === 0) return [];
  if (lines.length <= 2 * GIVEN_KEPT_LINES + 1) return [[...lines]];
  return [lines.slice(0, GIVEN_KEPT_LINES), ...lines.slice(GIVEN_KEPT_LINES, -GIVEN_KEPT_LINES).map((l) => [l]), lines.slice(-GIVEN_KEPT_LINES)];
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
  /** whether the parts have room to work under them */
  working: boolean;
  /** definitions several questions share, printed once before the questions */
  notations: { name: string; html: string }[];
  questions: QuestionView[];
}

function boxShape(value: AnswerValue): { rows: number[]; cols: number[] } | null {
  if (typeof value === 'string') return null;
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  if (typeof value === 'number') return { rows: [0], cols: [0] };
  if (value.length > 0 && Array.isArray(value[0])) return { rows: range(value.length), cols: range((value[0] as number[]).length) };
  return { rows: range(value.length), cols: [0] };
}

/**
 * The worksheet / key view of one variant. `withAnswers` adds answers, worked solutions and charts;
 * a worksheet gets room to work under each part, as `options.workingSpace` says.
 */
export function sheetView(bank: Bank, variant: KeyVariant, withAnswers: boolean, options: SheetOptions = {}): SheetView {
  const rule = sheetRule(numericTolerances(variant));
  const mmPerLine = withAnswers ? 0 : MM_PER_LINE[options.workingSpace ?? bank.workingSpace ?? DEFAULT_WORKING_SPACE];
  const builtQuestions = variant.questions.map((q): BuiltQuestion => {
    const type = problemType(q.type);
    if (!type) throw new GradsheetError('invalid-input', `Question ${q.id} has the unknown type "${q.type}".`);
    return type.build(q.instance, q.params, { digits: bank.digits, generator: bank.generator });
  });
  const shared = sharedNotations(builtQuestions);
  const questions = variant.questions.map((q, n): QuestionView => {
    const built = builtQuestions[n]!;
    // the worked solution: printed in the key, and on a worksheet what sizes the room to work
    const worked = withAnswers || mmPerLine > 0;
    const solution: Solution | undefined = worked ? solve(q.instance) : undefined;
    const once = built.notation && shared.some((s) => s.id === built.notation!.id);
    const parts = q.parts.map((p, k): PartView => {
      const spec = built.parts[k]!;
      const steps = solution ? spec.solution(solution) : [];
      return {
        id: p.id,
        label: spec.key,
        promptHtml: renderRich(spec.prompt),
        points: p.points,
        kind: p.kind,
        box: p.kind === 'expression' ? null : boxShape(p.answer),
        choices: (p.choices ?? []).map((c) => ({ value: c, html: titleHtml(c) })),
        symbolsHtml: p.kind === 'expression' ? symbolsHtml(p) : '',
        answerHtml: withAnswers ? (p.kind === 'expression' ? formulaHtml(p) : answerHtml(p.answer, bank.digits)) : '',
        answerText: withAnswers ? plainValue(p.answer, bank.digits) : '',
        acceptNote: p.kind === 'choice' || !p.tolerance || acceptance(p.tolerance) === rule ? '' : `accepted: ${acceptance(p.tolerance)}`,
        workMm: Math.round(workingLines(p.kind, steps) * mmPerLine),
        short: !withAnswers && p.kind !== 'choice' && p.kind !== 'expression' && spec.prompt.length <= 60 && boxShape(p.answer)?.cols.length === 1,
        steps: withAnswers ? steps.map((s) => ({ textHtml: s.text ? renderRich(s.text) : '', mathHtml: s.math ? renderTex(s.math, true) : '' })) : [],
      };
    });
    return {
      id: q.id,
      number: n + 1,
      title: q.title,
      titleHtml: titleHtml(q.title),
      points: parts.reduce((a, p) => a + p.points, 0),
      introHtml: renderRich(once ? built.intro : statement(built)),
      notationRef: once ? `For ${built.notation!.name}, see Notation at the top of the sheet.` : '',
      givenGroups: givenGroups(built.given().map((line) => renderTex(line, true))),
      parts,
      chartSvg: withAnswers && solution ? chartFor(q.type, solution) : '',
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
    working: mmPerLine > 0,
    notations: shared.map((s) => ({ name: s.name, html: renderRich(s.text) })),
    questions,
  };
}

/** The notations more than one question of a sheet builds on, in order of first use. */
function sharedNotations(built: readonly BuiltQuestion[]): Notation[] {
  const uses = new Map<string, { notation: Notation; count: number }>();
  for (const b of built) {
    if (!b.notation) continue;
    const entry = uses.get(b.notation.id) ?? { notation: b.notation, count: 0 };
    entry.count += 1;
    uses.set(b.notation.id, entry);
  }
  return [...uses.values()].filter((u) => u.count > 1).map((u) => u.notation);
}

/** The symbols a formula part may use, typeset: "S_1, S_2, W, x_1, x_2". */
function symbolsHtml(p: KeyVariant['questions'][number]['parts'][number]): string {
  return renderTex((p.symbols ?? []).map((s) => s.tex).join(',\ '));
}

/** A formula answer as the key prints it: typeset (the parser is loaded by whatever renders formula parts). */
function formulaHtml(p: KeyVariant['questions'][number]['parts'][number]): string {
  return renderTex(formulasLoaded() ? formulaTex(String(p.answer), p.symbols ?? []) : String(p.answer), true);
}

/** An answer as the key prints it: a choice as its text (typeset), a value in TeX at `digits`. */
function answerHtml(value: AnswerValue, digits: number): string {
  return typeof value === 'string' ? `<span class="choice-answer">${titleHtml(value)}</span>` : renderTex(texValue(value, digits));
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
  /** what follows the cover: the answer tables, the worked solutions */
  tables: boolean;
  solutions: boolean;
}

export function coverView(bank: Bank, variants: readonly KeyVariant[], follows: { tables: boolean; solutions: boolean } = { tables: false, solutions: true }): CoverView {
  return {
    ...follows,
    bankTitle: titleText(bank.title),
    bankTitleHtml: titleHtml(bank.title),
    course: bank.course ?? '',
    bankId: bank.id,
    bankHash: bank.hash.slice(0, 12),
    count: variants.length,
    rows: variants.map((v, i) => ({ number: i + 1, student: v.student, name: v.name, code: v.code })),
  };
}

/**
 * The answer key's tables (`key-tables.hbs`): for each worksheet, one row per part with its label
 * ("1(a)"), its answer at the printed precision and its points, and the total. Built from the key
 * alone (no question is rebuilt, no solution worked), so the whole class's tables are cheap.
 */
export interface AnswerTableRow {
  /** the question's number and the part's key, as the sheets print them: 1(a) */
  label: string;
  answerHtml: string;
  answerText: string;
  points: number;
  /** the first part of its question (a rule above it) */
  first: boolean;
}

export interface AnswerTableView {
  code: string;
  student: string;
  name: string;
  /** the student id as well as the name, where they differ (practice sheets are named by their id) */
  showStudent: boolean;
  totalPoints: number;
  rows: AnswerTableRow[];
}

export interface AnswerTablesView {
  /** the title as the running header prints it (Unicode), and typeset for the heading */
  bankTitle: string;
  bankTitleHtml: string;
  course: string;
  digits: number;
  /** the worked solutions follow the tables (--key full) */
  solutionsFollow: boolean;
  /** columns of tables on a page: 3 where every answer is narrow enough (`tableColumns`), else 2 */
  columns: 2 | 3;
  tables: AnswerTableView[];
}

/**
 * How many columns of answer tables a page holds: three (a column ~56 mm wide, ~38 mm of it for
 * the answer) when no answer has more than two entries in a row, nor an entry in scientific form
 * beside another; two (~72 mm for the answer: a 4 × 4 matrix fits) otherwise.
 */
function tableColumns(variants: readonly KeyVariant[], digits: number): 2 | 3 {
  for (const v of variants) for (const q of v.questions) for (const p of q.parts) {
    if (typeof p.answer !== 'object') continue;
    const rows: number[][] = p.answer.length > 0 && Array.isArray(p.answer[0]) ? (p.answer as number[][]) : [p.answer as number[]];
    for (const row of rows) {
      if (row.length > 2 || (row.length === 2 && row.some((x) => plainValue(x, digits).includes('e')))) return 2;
    }
  }
  return 3;
}

/**
 * An answer as the key tables print it, at `digits` significant figures: a number or a choice as
 * it is, a vector as a row (transposed, so a column does not make a tall row), a matrix as a
 * matrix (its rows are the answer's shape).
 */
export function compactAnswerHtml(value: AnswerValue, digits: number): string {
  if (typeof value === 'string' || typeof value === 'number' || (value.length > 0 && Array.isArray(value[0]))) return answerHtml(value, digits);
  const v = value as number[];
  if (v.length === 1) return renderTex(texValue(v[0]!, digits));
  return renderTex(`\\begin{bmatrix}${v.map((x) => texValue(x, digits)).join(' & ')}\\end{bmatrix}^{\\mathsf T}`);
}

export function answerTablesView(bank: Bank, variants: readonly KeyVariant[], solutionsFollow: boolean): AnswerTablesView {
  return {
    bankTitle: titleText(bank.title),
    bankTitleHtml: titleHtml(bank.title),
    course: bank.course ?? '',
    digits: bank.digits,
    solutionsFollow,
    columns: tableColumns(variants, bank.digits),
    tables: variants.map((v): AnswerTableView => {
      const rows = v.questions.flatMap((q, n) => q.parts.map((p, k): AnswerTableRow => ({
        label: `${n + 1}(${splitPartId(p.id).key})`,
        answerHtml: p.kind === 'expression' ? formulaHtml(p) : compactAnswerHtml(p.answer, bank.digits),
        answerText: plainValue(p.answer, bank.digits),
        points: p.points,
        first: k === 0,
      })));
      return {
        code: v.code,
        student: v.student,
        name: v.name,
        showStudent: v.student !== v.name,
        totalPoints: rows.reduce((a, r) => a + r.points, 0),
        rows,
      };
    }),
  };
}

/**
 * The separate answer sheet (`answer-sheet.hbs`, --answer-sheet): who and which worksheet, and
 * every part's answer boxes or choice ticks (the worksheet's own `box` and `choices`), labelled
 * "1(a)" with the points. Derived from the worksheet's view, so it asks exactly what the sheet does.
 */
export type AnswerSheetView = Pick<SheetView, 'bankTitle' | 'bankTitleHtml' | 'course' | 'code' | 'student' | 'name' | 'digits' | 'acceptance' | 'totalPoints'> & {
  questions: { number: number; title: string; points: number; parts: (PartView & { numberedLabel: string })[] }[];
};

export function answerSheetView(sheet: SheetView): AnswerSheetView {
  return {
    bankTitle: sheet.bankTitle,
    bankTitleHtml: sheet.bankTitleHtml,
    course: sheet.course,
    code: sheet.code,
    student: sheet.student,
    name: sheet.name,
    digits: sheet.digits,
    acceptance: sheet.acceptance,
    totalPoints: sheet.totalPoints,
    questions: sheet.questions.map((q) => ({
      number: q.number,
      title: q.title,
      points: q.points,
      parts: q.parts.map((p) => ({ ...p, numberedLabel: `${q.number}(${p.label})` })),
    })),
  };
}
