/**
 * The published submission schema: what an answer may be, as zod checks it and as the JSON Schema
 * for integrators says it (the same answers accepted and refused by both readings).
 */
import { describe, expect, it } from 'vitest';
import { jsonSchema, submissionSchema } from '../src/grade/schemas.js';

const submission = (answers: Record<string, unknown>) => ({ format: 'gradsheet.submission/1', worksheet: 'K7P2-9XQ4', student: 's1', answers });

/** An independent reading of the JSON Schema's answer value (anyOf of types and item schemas). */
function jsonSchemaAccepts(schema: any, v: unknown): boolean {
  if (schema.anyOf) return schema.anyOf.some((s: unknown) => jsonSchemaAccepts(s, v));
  const types: string[] = Array.isArray(schema.type) ? schema.type : [schema.type];
  return types.some((t) => {
    if (t === 'null') return v === null;
    if (t === 'number') return typeof v === 'number';
    if (t === 'string') return typeof v === 'string';
    if (t === 'array') return Array.isArray(v) && v.every((x) => jsonSchemaAccepts(schema.items, x));
    return false;
  });
}

const good: unknown[] = [1.5, -2e-3, '0.25', 'B', null, [1, 2, 3], ['1', 2], [[1, 2], [3, 4]], [[1], [2]], [], [[]]];
const bad: unknown[] = [true, { a: 1 }, [1, [2]], [[1, [2]]], [[[1]]], [null], [true]];

describe('the submission schema', () => {
  const answersSchema = (jsonSchema('submission') as any).properties.answers.additionalProperties;
  it.each(good.map((v) => [JSON.stringify(v), v]))('accepts %s as an answer, in zod and in the JSON Schema', (_, v) => {
    expect(submissionSchema.safeParse(submission({ 'q1.a': v })).success).toBe(true);
    expect(jsonSchemaAccepts(answersSchema, v)).toBe(true);
  });
  it.each(bad.map((v) => [JSON.stringify(v), v]))('refuses %s as an answer, in zod and in the JSON Schema', (_, v) => {
    const r = submissionSchema.safeParse(submission({ 'q1.a': v }));
    expect(r.success).toBe(false);
    expect(jsonSchemaAccepts(answersSchema, v)).toBe(false);
  });
  it('says what an answer may be when one is wrong, at its path', () => {
    const r = submissionSchema.safeParse(submission({ 'q1.a': 1, 'q2.b': { x: 1 } }));
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path).toEqual(['answers', 'q2.b']);
    expect(r.error!.issues[0]!.message).toMatch(/number, a string, a vector or a matrix/);
  });
  it('requires format, worksheet, student and answers', () => {
    for (const k of ['format', 'worksheet', 'student', 'answers']) {
      const s: Record<string, unknown> = submission({});
      delete s[k];
      expect(submissionSchema.safeParse(s).success, k).toBe(false);
    }
  });
});
