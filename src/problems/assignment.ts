/**
 * An online assignment's policy (docs/formats.md, "Assignment policy"): how many attempts, which
 * one counts, the due time and what happens after it, how much feedback before it, and when the
 * answers are shown. In a bank's optional `assignment` object; `gradsheet serve` flags override it.
 * It changes nothing about the variants drawn, so it is not part of the bank's hash.
 */
import { z } from 'zod';

export const assignmentSchema = z.object({
  /** most submissions for credit per worksheet and student (absent: no limit) */
  maxAttempts: z.number().int().min(1).max(1000).optional(),
  /** which attempt counts in the gradebook */
  counts: z.enum(['last', 'best']).default('last'),
  /** the due time, ISO 8601 with its offset: "2026-12-20T23:59:00+01:00" */
  due: z.iso.datetime({ offset: true, message: 'should be a time in ISO 8601 with its offset, like "2026-12-20T23:59:00+01:00"' }).optional(),
  /** after the due time: record and flag late submissions, or refuse them */
  late: z.enum(['flag', 'refuse']).default('flag'),
  /** before the due time, feedback names the mistake made, or gives only each part's status and score */
  feedbackBeforeDue: z.enum(['mistakes', 'score']).default('mistakes'),
  /** when feedback may state the right answers */
  revealAnswers: z.enum(['never', 'after-due', 'after-last-attempt']).default('never'),
  /** whether the page's "Check" (not an attempt) is recorded too */
  recordChecks: z.boolean().default(false),
  /**
   * whether feedback gives hints beyond right or wrong ("the magnitude is right but the sign is
   * wrong"); absent: the rule of `givesHints`
   */
  hints: z.enum(['on', 'off']).optional(),
}).strict();

export type AssignmentPolicy = z.output<typeof assignmentSchema>;

export const DEFAULT_POLICY: AssignmentPolicy = assignmentSchema.parse({});

/** Whether a submission received at `at` is late. */
export function isLate(policy: AssignmentPolicy, at: Date): boolean {
  return policy.due !== undefined && at.getTime() > Date.parse(policy.due);
}

/** Whether feedback names mistakes at time `at` (after the due time it always does). */
export function namesMistakes(policy: AssignmentPolicy, at: Date): boolean {
  return policy.feedbackBeforeDue === 'mistakes' || isLate(policy, at);
}

/** Whether feedback may state the right answers, at `at`, to a student who has used `used` attempts. */
export function revealsAnswers(policy: AssignmentPolicy, at: Date, used: number): boolean {
  if (policy.revealAnswers === 'never') return false;
  if (isLate(policy, at)) return true;
  return policy.revealAnswers === 'after-last-attempt' && policy.maxAttempts !== undefined && used >= policy.maxAttempts;
}

/**
 * Whether feedback gives hints (the sign hint). A hint answers a question about the key the student
 * did not ask ("is −x right?"), so it makes the grader a better oracle: off by default for an
 * assignment that counts (one with attempts limited or a due time), on for a self-check server.
 */
export function givesHints(policy: AssignmentPolicy): boolean {
  if (policy.hints !== undefined) return policy.hints === 'on';
  return policy.maxAttempts === undefined && policy.due === undefined;
}

/** The policy in one line, for `serve`'s start-up message. */
export function describePolicy(policy: AssignmentPolicy): string {
  const attempts = policy.maxAttempts === undefined ? 'unlimited attempts' : `${policy.maxAttempts} attempt${policy.maxAttempts === 1 ? '' : 's'}`;
  const due = policy.due === undefined ? 'no due time' : `due ${policy.due} (late submissions ${policy.late === 'flag' ? 'flagged' : 'refused'})`;
  const feedback = policy.feedbackBeforeDue === 'mistakes' ? 'feedback names mistakes' : 'feedback gives scores only before the due time';
  const reveal = { never: 'answers never shown', 'after-due': 'answers shown after the due time', 'after-last-attempt': 'answers shown after the last attempt' }[policy.revealAnswers];
  return `${attempts}, the ${policy.counts} counts, ${due}, ${feedback}, ${reveal}${givesHints(policy) ? ', sign hints given' : ', no hints'}${policy.recordChecks ? ', checks recorded' : ''}`;
}
