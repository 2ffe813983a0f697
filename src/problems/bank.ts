/**
 * Question banks (docs/formats.md): which problem types, with which parameters, points and
 * tolerances. Parsed with zod; every mistake is reported at once with its JSON path.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DEFAULT_TOLERANCE, toleranceSchema, type Tolerance } from '../contract/tolerance.js';
import { issueSentence, parseWith } from '../validation.js';
import { PROBLEM_TYPE_IDS, problemType } from './registry.js';
import { WORKING_SPACES, type WorkingSpace } from './working-space.js';
import { assignmentSchema, type AssignmentPolicy } from './assignment.js';
import { LATEST_GENERATOR } from './generator-version.js';
import type { AnyProblemType, PartSpec } from './types.js';

const questionSchema = z.object({
  id: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,31}$/, 'should be a short name of letters, digits, - or _, starting with a letter'),
  type: z.string(),
  title: z.string().max(200).optional(),
  /** points for each part, unless `partPoints` names the part */
  points: z.number().positive().max(1000).default(1),
  /** points by part letter, e.g. {"a": 2, "d": 3} */
  partPoints: z.record(z.string().regex(/^[a-z]+$/), z.number().min(0).max(1000)).optional(),
  tolerance: toleranceSchema.optional(),
  /** how many questions of this kind; ids become q1-1, q1-2, … */
  count: z.number().int().min(1).max(20).default(1),
  params: z.record(z.string(), z.unknown()).default({}),
}).strict();

export const bankSchema = z.object({
  format: z.literal('gradsheet.bank/1'),
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'should be lower-case letters, digits and -'),
  title: z.string().min(1).max(200),
  course: z.string().max(200).optional(),
  description: z.string().max(2000).optional(),
  /**
   * The generator version the bank's variants are drawn with. A bank without it is drawn as
   * version 1 drew it, so worksheets printed before versions existed keep regenerating.
   */
  generator: z.number().int().min(1).max(LATEST_GENERATOR, { message: `should be a generator version from 1 to ${LATEST_GENERATOR}` }).optional(),
  /** significant figures answers are asked for and printed at */
  digits: z.number().int().min(2).max(8).default(4),
  tolerance: toleranceSchema.default(DEFAULT_TOLERANCE),
  /** room to work under each part of a printed worksheet (render's --working-space overrides it) */
  workingSpace: z.enum(WORKING_SPACES).optional(),
  /** the online assignment's policy (assignment.ts; serve's flags override it): not in the hash */
  assignment: assignmentSchema.optional(),
  questions: z.array(questionSchema).min(1).max(50),
}).strict().superRefine((bank, ctx) => {
  const seen = new Map<string, number>();
  bank.questions.forEach((q, i) => {
    if (seen.has(q.id)) ctx.addIssue({ code: 'custom', path: ['questions', i, 'id'], message: `repeats the id "${q.id}" of questions[${seen.get(q.id)}]` });
    seen.set(q.id, i);
    const type = problemType(q.type);
    if (!type) {
      ctx.addIssue({ code: 'custom', path: ['questions', i, 'type'], message: `should be one of ${PROBLEM_TYPE_IDS.join(', ')}, not "${q.type}"` });
      return;
    }
    const parsed = type.params.safeParse(q.params);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        ctx.addIssue({ code: 'custom', path: ['questions', i, 'params', ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))], message: issueSentence(issue, q.params) });
      }
    }
  });
});

export type BankInput = z.input<typeof bankSchema>;
type ParsedBank = z.output<typeof bankSchema>;

export interface BankQuestion {
  /** the question id on the sheet: "q1", or "q1-2" for the second of a `count` */
  id: string;
  type: AnyProblemType;
  title: string;
  params: unknown;
  points: number;
  partPoints: Record<string, number>;
  tolerance: Tolerance;
}

export interface Bank {
  id: string;
  title: string;
  course?: string;
  description?: string;
  digits: number;
  workingSpace?: WorkingSpace;
  /** the online assignment's policy, when the bank sets one */
  assignment?: AssignmentPolicy;
  /** the generator version variants are drawn with (1 when the bank names none) */
  generator: number;
  tolerance: Tolerance;
  questions: BankQuestion[];
  /** sha256 of the bank's canonical JSON (defaults filled in): keys name the bank they came from */
  hash: string;
  /** that canonical JSON (without the assignment policy), to keep the bank as its worksheets were drawn */
  canonical: string;
}

/** JSON with object keys sorted, so equal banks hash equally however they were written. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Validates a bank (all problems at once, with JSON paths) and resolves its problem types. */
export function parseBank(input: unknown, source = 'question bank'): Bank {
  const bank: ParsedBank = parseWith(bankSchema, input, source);
  const questions: BankQuestion[] = bank.questions.flatMap((q) => {
    const type = problemType(q.type)!;
    const params = type.params.parse(q.params);
    return Array.from({ length: q.count }, (_, n) => ({
      id: q.count === 1 ? q.id : `${q.id}-${n + 1}`,
      type,
      title: q.title ?? type.title,
      params,
      points: q.points,
      partPoints: q.partPoints ?? {},
      tolerance: q.tolerance ?? bank.tolerance,
    }));
  });
  // the assignment policy draws nothing: a bank keeps its hash (and its printed keys) when it gains one
  const { assignment, ...drawn } = bank;
  const canonical = canonicalJson(drawn);
  const hash = createHash('sha256').update(canonical).digest('hex');
  return { id: bank.id, title: bank.title, course: bank.course, description: bank.description, digits: bank.digits, ...(bank.workingSpace ? { workingSpace: bank.workingSpace } : {}), ...(assignment ? { assignment } : {}), generator: bank.generator ?? 1, tolerance: bank.tolerance, questions, hash, canonical };
}

/** A part's tolerance: the problem type's own when it needs one (log₁₀ magnitudes), else the bank's. */
export function partTolerance(q: BankQuestion, spec: PartSpec): Tolerance {
  return spec.tolerance ?? q.tolerance;
}
