/**
 * The answer key (`gradsheet.key/1`, docs/formats.md) and the blank submissions handed to students.
 */
import type { Tolerance } from '../contract/tolerance.js';
import type { FormulaSymbol } from '../contract/formula.js';
import type { Instance } from '../models/instance.js';
import type { Bank } from './bank.js';
import type { MistakeId } from './mistakes.js';
import type { AnswerValue, PartKind } from './types.js';
import type { BankQuestion } from './bank.js';
import type { GeneratedQuestion } from './generate.js';

/** One student's variant as drawn: a question of the bank and what was drawn for it, each. */
export interface Variant {
  code: string;
  student: string;
  /** the student's name as the roster gives it (shown on the sheet) */
  name: string;
  questions: { bank: BankQuestion; generated: GeneratedQuestion }[];
}

export interface KeyPart {
  id: string;
  kind: PartKind;
  answer: AnswerValue;
  points: number;
  tolerance?: Tolerance;
  choices?: readonly string[];
  /** the prompt, as text with $…$ TeX */
  prompt: string;
  /** the answer's shape: [] for a number, [n] for a vector, [r, c] for a matrix */
  shape: number[];
  /** earlier parts this one is computed from (follow-through) */
  dependsOn?: string[];
  /** catalogued mistakes and their values, for the grader's feedback */
  mistakes?: { id: MistakeId; value: AnswerValue }[];
  /** expression parts: the symbols the formula may use */
  symbols?: FormulaSymbol[];
}

export interface KeyQuestion {
  id: string;
  type: string;
  title: string;
  instance: Instance;
  params: unknown;
  parts: KeyPart[];
}

export interface KeyVariant {
  code: string;
  student: string;
  name: string;
  questions: KeyQuestion[];
}

export interface AnswerKey {
  format: 'gradsheet.key/1';
  /** the generator version the variants were drawn with (the bank's) */
  generator: number;
  bank: { id: string; hash: string; title: string };
  digits: number;
  /** true when the secret was made from a --seed (practice sheets): anyone with the seed rebuilds the answers */
  practice?: boolean;
  variants: KeyVariant[];
}

/** A part's id in keys and submissions: its question's id, a dot and the part's key ("q3.b"). Question ids hold no dot. */
export function partId(questionId: string, key: string): string {
  return `${questionId}.${key}`;
}

/** The question id and the part key of a part id: either side of its last dot (the whole id for both when it has none). */
export function splitPartId(id: string): { question: string; key: string } {
  const dot = id.lastIndexOf('.');
  return dot < 0 ? { question: id, key: id } : { question: id.slice(0, dot), key: id.slice(dot + 1) };
}

export function shapeOf(value: AnswerValue): number[] {
  if (typeof value !== 'object') return [];
  if (value.length > 0 && Array.isArray(value[0])) return [value.length, (value[0] as number[]).length];
  return [value.length];
}

export function keyVariant(v: Variant): KeyVariant {
  return {
    code: v.code,
    student: v.student,
    name: v.name,
    questions: v.questions.map(({ bank: q, generated }) => ({
      id: q.id,
      type: q.type.id,
      title: q.title,
      instance: generated.instance,
      params: q.params,
      parts: generated.parts.map((p) => ({
        id: partId(q.id, p.spec.key),
        kind: p.spec.kind,
        answer: p.answer,
        points: q.partPoints[p.spec.key] ?? q.points,
        ...(p.spec.kind === 'choice' ? { choices: p.choices ?? p.spec.choices ?? [] } : p.spec.kind === 'expression' ? { symbols: [...(p.spec.symbols ?? [])] } : { tolerance: p.tolerance }),
        prompt: p.spec.prompt,
        shape: p.spec.kind === 'expression' ? [] : shapeOf(p.answer),
        ...(p.spec.dependsOn?.length ? { dependsOn: p.spec.dependsOn.map((k) => partId(q.id, k)) } : {}),
        ...(p.mistakes.length ? { mistakes: p.mistakes } : {}),
      })),
    })),
  };
}

/** The key of a class set; `practice` when its secret came from a --seed (its answers are public). */
export function answerKey(bank: Bank, variants: readonly KeyVariant[], options: { practice?: boolean } = {}): AnswerKey {
  return {
    format: 'gradsheet.key/1',
    generator: bank.generator,
    bank: { id: bank.id, hash: bank.hash, title: bank.title },
    digits: bank.digits,
    ...(options.practice ? { practice: true } : {}),
    variants: variants.slice(),
  };
}

/** The tolerances of a variant's numeric parts, in order (what its sheet states it accepts). */
export function numericTolerances(v: KeyVariant): Tolerance[] {
  return v.questions.flatMap((q) => q.parts.flatMap((p) => (p.kind !== 'choice' && p.tolerance ? [p.tolerance] : [])));
}

/** A blank submission (docs/formats.md) for a variant: every part id, answer null. */
export function blankSubmission(v: KeyVariant): { format: 'gradsheet.submission/1'; worksheet: string; student: string; answers: Record<string, null> } {
  const answers: Record<string, null> = {};
  for (const q of v.questions) for (const p of q.parts) answers[p.id] = null;
  return { format: 'gradsheet.submission/1', worksheet: v.code, student: v.student, answers };
}
