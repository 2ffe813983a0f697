/**
 * Turns zod issues into plain sentences with JSON paths, the one way every schema in gradsheet
 * (instances, banks, submissions) reports what is wrong and where.
 */
import type { z } from 'zod';
import { GradsheetError, jsonPath, type InputIssue } from './errors.js';

type ZodIssue = z.core.$ZodIssue;

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  if (typeof value === 'number') return Number.isFinite(value) ? `the number ${value}` : String(value);
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

const typeNames: Record<string, string> = {
  number: 'a number',
  string: 'a string',
  array: 'an array',
  object: 'an object',
  boolean: 'true or false',
  int: 'a whole number',
};

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/** One sentence (without the path) for a zod issue. */
export function issueSentence(issue: ZodIssue, input: unknown): string {
  const got = valueAt(input, issue.path);
  switch (issue.code) {
    case 'invalid_type': {
      const expected = typeNames[issue.expected] ?? issue.expected;
      return got === undefined ? `is missing (expected ${expected})` : `should be ${expected}, not ${describe(got)}`;
    }
    case 'too_small':
      if (issue.origin === 'array') return `should have at least ${issue.minimum} ${issue.minimum === 1 ? 'entry' : 'entries'}`;
      if (issue.origin === 'string') return `should not be empty`;
      return `should be ${issue.inclusive ? 'at least' : 'more than'} ${issue.minimum}`;
    case 'too_big':
      if (issue.origin === 'array') return `should have at most ${issue.maximum} entries`;
      if (issue.origin === 'string') return `should be at most ${issue.maximum} characters long`;
      return `should be ${issue.inclusive ? 'at most' : 'less than'} ${issue.maximum}`;
    case 'invalid_value':
      return `should be ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}, not ${describe(got)}`;
    case 'invalid_union':
      if ('discriminator' in issue && issue.discriminator) {
        const options = (issue as { options?: unknown[] }).options ?? [];
        return `should be ${options.map((v) => JSON.stringify(v)).join(' or ')}, not ${describe(got)}`;
      }
      return issue.message;
    case 'unrecognized_keys':
      return `has unknown ${issue.keys.length === 1 ? 'field' : 'fields'} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    default:
      return issue.message.replace(/\.$/, '');
  }
}

/** Zod issues as InputIssues under a root path (`$` or `$[3]`). */
export function toInputIssues(error: z.ZodError, input: unknown, root = '$'): InputIssue[] {
  return error.issues.map((issue) => ({ path: jsonPath(issue.path, root), message: issueSentence(issue, input) }));
}

/** Renders issues one sentence a line: "$.U[0] should be an array, not the number 3." */
export function issuesText(issues: readonly InputIssue[], limit = 20): string {
  const lines = issues.slice(0, limit).map((i) => `${i.path} ${i.message}.`);
  if (issues.length > limit) lines.push(`…and ${issues.length - limit} more problems.`);
  return lines.join('\n');
}

/** Parses with a schema or throws one GradsheetError carrying every issue, with its path. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, what: string, root = '$'): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw invalidInput(what, toInputIssues(result.error, input, root), result.error);
}

/**
 * The error for invalid input: one sentence when there is one problem
 * ("Invalid instance: $.b should have 2 entries (H), not 3."), else a heading and one line each.
 */
export function invalidInput(what: string, issues: readonly InputIssue[], cause?: unknown): GradsheetError {
  const message = issues.length === 1 ? `Invalid ${what}: ${issuesText(issues)}` : `Invalid ${what}, ${issues.length} problems:\n${issuesText(issues)}`;
  return new GradsheetError('invalid-input', message, { issues, cause });
}
