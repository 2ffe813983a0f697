/**
 * The public formats of docs/formats.md as zod schemas: the source of `gradsheet schema` (JSON Schema
 * for integrators) and of answer-key validation. Submissions are read leniently by the grader
 * (every malformation becomes a plain sentence in a result); this schema says what is expected.
 */
import { z } from 'zod';
import { LATEST_GENERATOR } from '../problems/generator-version.js';
import { toleranceSchema } from '../contract/tolerance.js';

const scalar = z.union([z.number(), z.string()]);
// Matrix before vector: zod tries every option, and a matrix row tried as a scalar fails a whole union
// per row; a vector's numbers fail the array check at once. The answers are an object with a catchall
// rather than a record (the same JSON Schema): together ~2× faster to check a submission.
const value = z.union([z.number(), z.string(), z.array(z.array(scalar)), z.array(scalar)], { error: 'should be a number, a string, a vector or a matrix (or null for no answer)' });

export const submissionSchema = z.object({
  format: z.literal('gradsheet.submission/1'),
  worksheet: z.string().describe('the worksheet code printed on the sheet, e.g. "K7P2-9XQ4"'),
  student: z.string().describe('the student id (the roster id)'),
  answers: z.object({}).catchall(value.nullable()).describe('part id ("q1.a") → a number (or a string holding a decimal or scientific literal), a vector, a matrix (array of rows), or a choice string; null for no answer'),
}).describe('A student\'s answers to one worksheet (gradsheet.submission/1)');

export const partResultSchema = z.object({
  id: z.string(),
  status: z.enum(['correct', 'partial', 'incorrect', 'missing', 'invalid']),
  score: z.number(),
  max: z.number(),
  feedback: z.string(),
  mistake: z.string().optional().describe('the catalogued mistake the answer matches'),
  carried: z.boolean().optional().describe('credit from follow-through (error carried forward)'),
});

export const resultSchema = z.object({
  format: z.literal('gradsheet.result/1'),
  worksheet: z.string().nullable(),
  student: z.string().nullable(),
  score: z.number(),
  max: z.number(),
  parts: z.array(partResultSchema),
  errors: z.array(z.string()).describe('why a submission could not be graded, or was graded with reservations'),
  counted: z.boolean().optional().describe('bulk grading: false when a duplicate submission for the same student was superseded, or it could not be graded'),
  reason: z.enum(['not-an-object', 'no-code', 'no-student', 'unknown-code', 'wrong-student', 'no-answers', 'not-json', 'unreadable', 'internal-error']).optional().describe('why the submission could not be graded at all (not-json, unreadable and internal-error in bulk grading only)'),
  source: z.string().optional().describe('bulk grading: where the submission came from: a file name in a folder, file:line in a JSONL file, file[index] in a JSON array'),
}).describe('The grade of one submission (gradsheet.result/1)');

const answer = z.union([z.number(), z.array(z.number()), z.array(z.array(z.number())), z.string()]);

export const keyPartSchema = z.object({
  id: z.string(),
  kind: z.enum(['number', 'vector', 'matrix', 'choice', 'expression']),
  answer,
  points: z.number(),
  tolerance: toleranceSchema.optional(),
  choices: z.array(z.string()).optional(),
  prompt: z.string(),
  shape: z.array(z.number()),
  dependsOn: z.array(z.string()).optional(),
  mistakes: z.array(z.object({ id: z.string(), value: answer })).optional(),
  symbols: z.array(z.object({
    name: z.string(), tex: z.string(), range: z.tuple([z.number(), z.number()]).optional(), derived: z.string().optional(),
  })).optional().describe('expression parts: the symbols the formula may use; a derived one is a formula in those before it'),
});

export const keySchema = z.object({
  format: z.literal('gradsheet.key/1'),
  generator: z.number().int().min(1).max(LATEST_GENERATOR, { message: `is a generator version this gradsheet does not know (it draws 1 to ${LATEST_GENERATOR}): the key was written by a newer gradsheet` }),
  bank: z.object({ id: z.string(), hash: z.string(), title: z.string() }),
  digits: z.number().int(),
  practice: z.boolean().optional().describe('true when the secret was made from a --seed (practice sheets): anyone with the seed can rebuild the answers'),
  variants: z.array(z.object({
    code: z.string(),
    student: z.string(),
    name: z.string(),
    questions: z.array(z.object({
      id: z.string(),
      type: z.string(),
      title: z.string(),
      instance: z.record(z.string(), z.unknown()),
      params: z.unknown(),
      parts: z.array(keyPartSchema),
    })),
  })),
}).describe('The answer key of a class set (gradsheet.key/1), teacher only');

export const SCHEMAS = { submission: submissionSchema, result: resultSchema, key: keySchema } as const;

export function jsonSchema(name: keyof typeof SCHEMAS): unknown {
  return z.toJSONSchema(SCHEMAS[name], { io: 'input' });
}
