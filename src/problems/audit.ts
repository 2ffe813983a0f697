/**
 * The audit of a question bank: the teacher's evidence that a bank is fair before it is used.
 * It draws a practice set (students practice-1 … practice-N under `practiceSecret(seed)`, exactly
 * as `gradsheet generate --seed S --count N` would) and measures, part by part, what a student who
 * guesses or reads the sheet could get for free: a choice whose right answer is nearly always the
 * same (or always in the same position), a numeric answer that is 0 or a number printed in the
 * question, one that 0 or a printed number scores, a catalogued mistake the grader cannot tell
 * from the answer, an answer that never changes, a choice answer spelled out in the question's
 * title or statement. Then it holds the figures to AUDIT_LIMITS.
 *
 * Pure: data in (a parsed bank, a count, a seed), data out (the report). The command prints it.
 */
import { GradsheetError } from '../errors.js';
import { allWithinTolerance, withinTolerance, type Tolerance } from '../contract/tolerance.js';
import type { Bank, BankQuestion } from './bank.js';
import type { DrawStats, GeneratedPart, RejectReason } from './generate.js';
import { answerEntries, freePoint, printedNumbers, type FreePoint } from './printed.js';
import { statement, type AnswerValue, type PartKind } from './types.js';
import { generateVariant, practiceSecret, practiceStudents } from './variants.js';
import { partId } from './key.js';

/**
 * What a fair bank keeps to, measured over the audited variants. Shares are fractions of the
 * variants (0.005 is 0.5%: one variant in 200).
 */
export const AUDIT_LIMITS = Object.freeze({
  /** a choice part with at least `minChoices` options: its most frequent right answer, at most this share */
  mostFrequentChoice: 0.6,
  /** choice parts with fewer options (a yes/no) are not held to `mostFrequentChoice` */
  minChoices: 3,
  /** numeric parts whose answer (some entry) is exactly 0, at most this share */
  zeroAnswer: 0.005,
  /** numeric parts where 0 or a number printed in the question scores full marks, at most this share */
  freeFullMarks: 0.005,
  /** variants whose right choice is spelled out in the question's title or statement: none */
  spelledOut: 0,
});

export type AuditLimit = 'mostFrequentChoice' | 'zeroAnswer' | 'freeFullMarks' | 'spelledOut';

export interface AuditOptions {
  /** how many practice variants to draw (default 200) */
  count?: number;
  /** the practice seed they are drawn from (default "4242") */
  seed?: string;
}

/** A share of the variants a part appears in, with the count behind it. */
export interface Share {
  count: number;
  share: number;
}

export interface ChoiceFigures {
  /** how many options the part prints */
  choices: number;
  /** how many variants have each option as the right answer (every option listed, 0 included) */
  rightAnswers: Record<string, number>;
  /** the most frequent right answer (the first listed, on a tie) */
  mostFrequent: { answer: string } & Share;
  /** how many variants print the right answer at each position of the options (index 0 is the first) */
  positions: number[];
}

export interface NumericFigures {
  /** some entry of the answer is exactly 0 */
  zeroAnswer: Share;
  /** some entry equals, at the sheet's significant figures, a number printed in the question */
  printedAnswer: Share;
  /** 0 scores full marks: every entry is within tolerance of 0 */
  zeroScores: Share;
  /** a printed number scores full marks: every entry is within tolerance of some printed number */
  printedScores: Share;
  /** 0 or a printed number scores full marks (either of the two above) */
  freeFullMarks: Share;
  /** some entry can be read off the sheet (free partial credit): freePoint of that entry is not null */
  freeEntry: Share;
  /** of the variants with a free entry, how many have an entry of each kind */
  freeEntryKinds: Partial<Record<FreePoint, number>>;
}

/** A right choice that a variant's question title or statement spells out. */
export interface SpelledOut {
  answer: string;
  where: 'title' | 'intro';
  /** how many variants spell it out there */
  variants: number;
  /** the first of them */
  student: string;
  code: string;
}

export type CheckResult = 'pass' | 'fail' | 'n/a';

export interface PartAudit {
  /** the part id a submission uses: "q5.c" */
  id: string;
  question: string;
  part: string;
  kind: PartKind;
  /** how many of the audited variants have this part */
  variants: number;
  choice?: ChoiceFigures;
  numeric?: NumericFigures;
  /** a catalogued mistake's value lies within tolerance of the right answer */
  mistakeWithinTolerance: Share;
  /** the variants whose answer is exactly the most common answer */
  sameAnswer: Share;
  spelledOut: SpelledOut[];
  checks: Record<AuditLimit, CheckResult>;
}

export interface QuestionAudit {
  id: string;
  type: string;
  title: string;
  parts: PartAudit[];
}

export interface AuditViolation {
  question: string;
  part: string;
  limit: AuditLimit;
  /** the measured figure (a share, or for `spelledOut` the number of variants) */
  measured: number;
  /** the figure it may not exceed */
  allowed: number;
  /** one plain sentence naming the question, the part, the figure and the limit */
  message: string;
}

export interface AuditReport {
  bank: { id: string; title: string; generator: number; digits: number; hash: string };
  count: number;
  seed: string;
  draws: { draws: number; rejected: number; redrawRate: number; reasons: Partial<Record<RejectReason, number>> };
  limits: typeof AUDIT_LIMITS;
  questions: QuestionAudit[];
  violations: AuditViolation[];
  passed: boolean;
}

/** The key that makes equal answers equal: exact for numbers (-0 and 0 alike, as ===), arrays and strings. */
function answerIdentity(value: AnswerValue): string {
  return typeof value === 'string' ? `s:${value}` : `n:${JSON.stringify(value)}`;
}

/**
 * Text as the spelled-out check compares it: lower case, without TeX's `$`, `\`, braces and
 * underscores (so `$W_{hf}$` reads as "whf"), runs of white space as one space.
 */
export function normaliseForSpelling(text: string): string {
  return text.toLowerCase().replace(/[$\\{}_]/g, '').replace(/\s+/g, ' ').trim();
}

const WORD = /[\p{L}\p{N}]/u;

/** Whether `needle` occurs in `haystack` as whole words ("both" is not in "bother"); both normalised. */
export function spelledIn(haystack: string, needle: string): boolean {
  if (needle === '') return false;
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + 1)) {
    const before = at === 0 ? '' : haystack[at - 1]!, after = haystack[at + needle.length] ?? '';
    if (!WORD.test(before) && !WORD.test(after)) return true;
  }
  return false;
}

/** What the audit gathers for one part over the variants, before it becomes figures. */
interface PartTally {
  question: BankQuestion;
  key: string;
  kind: PartKind;
  variants: number;
  options: readonly string[];
  rightAnswers: Map<string, number>;
  positions: number[];
  zeroAnswer: number;
  printedAnswer: number;
  zeroScores: number;
  printedScores: number;
  freeFullMarks: number;
  freeEntry: number;
  freeEntryKinds: Partial<Record<FreePoint, number>>;
  mistakeWithinTolerance: number;
  answers: Map<string, number>;
  spelledOut: Map<string, SpelledOut>;
}

function newTally(question: BankQuestion, part: GeneratedPart): PartTally {
  // the options in the problem type's own order (a variant may print them shuffled)
  const options = part.spec.choices ?? part.choices ?? [];
  return {
    question, key: part.spec.key, kind: part.spec.kind, variants: 0, options,
    rightAnswers: new Map(options.map((o) => [o, 0])), positions: options.map(() => 0),
    zeroAnswer: 0, printedAnswer: 0, zeroScores: 0, printedScores: 0, freeFullMarks: 0, freeEntry: 0, freeEntryKinds: {},
    mistakeWithinTolerance: 0, answers: new Map(), spelledOut: new Map(),
  };
}

function tallyNumeric(t: PartTally, answer: AnswerValue, tolerance: Tolerance, printed: readonly number[], digits: number): void {
  const values = answerEntries(answer);
  // freePoint, entry by entry: how each entry could be read off the sheet (or null)
  const kinds = values.map((e) => freePoint(e, tolerance, printed, digits));
  if (values.some((e) => e === 0)) t.zeroAnswer++;
  // an entry printed in the question: freePoint says 'printed' — or 'zero', which it checks
  // first, for an entry of 0 when the question prints a 0
  if (kinds.some((k, i) => k === 'printed' || (k === 'zero' && printed.includes(values[i]!)))) t.printedAnswer++;
  const zeroFull = values.every((e) => withinTolerance(e, 0, tolerance));
  const printedFull = values.every((e) => printed.some((p) => withinTolerance(e, p, tolerance)));
  if (zeroFull) t.zeroScores++;
  if (printedFull) t.printedScores++;
  if (zeroFull || printedFull) t.freeFullMarks++;
  if (kinds.some((k) => k !== null)) {
    t.freeEntry++;
    for (const k of new Set(kinds)) if (k !== null) t.freeEntryKinds[k] = (t.freeEntryKinds[k] ?? 0) + 1;
  }
}

function tallyChoice(t: PartTally, part: GeneratedPart, answer: string, variant: { student: string; code: string }, title: string, intro: string): void {
  t.rightAnswers.set(answer, (t.rightAnswers.get(answer) ?? 0) + 1);
  const options = part.choices ?? part.spec.choices ?? [];
  const position = options.indexOf(answer);
  if (position >= 0) {
    while (t.positions.length <= position) t.positions.push(0);
    t.positions[position]!++;
  }
  const needle = normaliseForSpelling(answer);
  for (const [where, text] of [['title', title], ['intro', intro]] as const) {
    if (!spelledIn(text, needle)) continue;
    const key = `${where}|${answer}`;
    const seen = t.spelledOut.get(key);
    if (seen) seen.variants++;
    else t.spelledOut.set(key, { answer, where, variants: 1, student: variant.student, code: variant.code });
  }
}

function share(count: number, of: number): Share {
  return { count, share: of === 0 ? 0 : count / of };
}

function percent(x: number): string {
  // one decimal, without a trailing .0: 0.5%, 7%, 12.5%
  return `${Number((100 * x).toFixed(1))}%`;
}

function partFigures(t: PartTally): PartAudit {
  const n = t.variants;
  const id = partId(t.question.id, t.key);
  let mostCommon = 0;
  for (const c of t.answers.values()) mostCommon = Math.max(mostCommon, c);
  const audit: PartAudit = {
    id, question: t.question.id, part: t.key, kind: t.kind, variants: n,
    mistakeWithinTolerance: share(t.mistakeWithinTolerance, n),
    sameAnswer: share(mostCommon, n),
    spelledOut: [...t.spelledOut.values()],
    checks: { mostFrequentChoice: 'n/a', zeroAnswer: 'n/a', freeFullMarks: 'n/a', spelledOut: 'n/a' },
  };
  if (t.kind === 'choice') {
    let top = { answer: '', count: -1 };
    for (const [answer, count] of t.rightAnswers) if (count > top.count) top = { answer, count };
    audit.choice = {
      choices: t.options.length,
      rightAnswers: Object.fromEntries(t.rightAnswers),
      mostFrequent: { answer: top.answer, ...share(top.count, n) },
      positions: t.positions,
    };
    if (t.options.length >= AUDIT_LIMITS.minChoices) audit.checks.mostFrequentChoice = audit.choice.mostFrequent.share <= AUDIT_LIMITS.mostFrequentChoice ? 'pass' : 'fail';
    audit.checks.spelledOut = audit.spelledOut.length === 0 ? 'pass' : 'fail';
  } else {
    audit.numeric = {
      zeroAnswer: share(t.zeroAnswer, n),
      printedAnswer: share(t.printedAnswer, n),
      zeroScores: share(t.zeroScores, n),
      printedScores: share(t.printedScores, n),
      freeFullMarks: share(t.freeFullMarks, n),
      freeEntry: share(t.freeEntry, n),
      freeEntryKinds: t.freeEntryKinds,
    };
    audit.checks.zeroAnswer = audit.numeric.zeroAnswer.share <= AUDIT_LIMITS.zeroAnswer ? 'pass' : 'fail';
    audit.checks.freeFullMarks = audit.numeric.freeFullMarks.share <= AUDIT_LIMITS.freeFullMarks ? 'pass' : 'fail';
  }
  return audit;
}

function violationsOf(p: PartAudit, title: string): AuditViolation[] {
  const out: AuditViolation[] = [];
  const where = `Question ${p.question} part ${p.part} (${p.id})`;
  const of = `of the ${p.variants} variants`;
  const violation = (limit: AuditLimit, measured: number, allowed: number, message: string) => out.push({ question: p.question, part: p.part, limit, measured, allowed, message });
  if (p.checks.mostFrequentChoice === 'fail') {
    const top = p.choice!.mostFrequent;
    violation('mostFrequentChoice', top.share, AUDIT_LIMITS.mostFrequentChoice,
      `${where}: "${top.answer}" is the right answer in ${percent(top.share)} ${of} (${top.count}), above the limit of ${percent(AUDIT_LIMITS.mostFrequentChoice)} for a choice of ${p.choice!.choices}.`);
  }
  if (p.checks.zeroAnswer === 'fail') {
    const z = p.numeric!.zeroAnswer;
    violation('zeroAnswer', z.share, AUDIT_LIMITS.zeroAnswer,
      `${where}: the answer is 0${p.kind === 'number' ? '' : ' in some entry'} in ${percent(z.share)} ${of} (${z.count}), above the limit of ${percent(AUDIT_LIMITS.zeroAnswer)}.`);
  }
  if (p.checks.freeFullMarks === 'fail') {
    const f = p.numeric!;
    violation('freeFullMarks', f.freeFullMarks.share, AUDIT_LIMITS.freeFullMarks,
      `${where}: 0 or a number printed in the question scores full marks in ${percent(f.freeFullMarks.share)} ${of} (${f.freeFullMarks.count}: 0 in ${f.zeroScores.count}, a printed number in ${f.printedScores.count}), above the limit of ${percent(AUDIT_LIMITS.freeFullMarks)}.`);
  }
  if (p.checks.spelledOut === 'fail') {
    const total = p.spelledOut.reduce((a, s) => a + s.variants, 0);
    const cases = p.spelledOut.map((s) => `"${s.answer}" in the ${s.where === 'title' ? `title "${title}"` : 'statement'} (${s.variants} ${s.variants === 1 ? 'variant' : 'variants'}, first ${s.student}, worksheet ${s.code})`).join('; ');
    violation('spelledOut', total, AUDIT_LIMITS.spelledOut, `${where}: the right answer is spelled out in the question: ${cases}.`);
  }
  return out;
}

/**
 * Audits a bank over `count` practice variants drawn from `seed` (students practice-1 … N, as
 * `gradsheet generate --seed` draws them): per question and part, the figures above, the redraw
 * rate of the draws, and every breach of AUDIT_LIMITS as a sentence.
 */
export function auditBank(bank: Bank, options: AuditOptions = {}): AuditReport {
  const count = options.count ?? 200;
  const seed = options.seed ?? '4242';
  if (!Number.isInteger(count) || count < 1) throw new GradsheetError('usage', `An audit draws a whole number of variants, 1 or more, not ${count}.`);
  const secret = practiceSecret(seed);
  const stats: DrawStats = { draws: 0, rejected: {} };
  const tallies = new Map<string, PartTally[]>(bank.questions.map((q) => [q.id, []]));
  for (const student of practiceStudents(count)) {
    const variant = generateVariant(bank, secret, { id: student, name: student }, stats);
    for (const { bank: q, generated } of variant.questions) {
      const printed = printedNumbers(generated.built);
      const title = normaliseForSpelling(q.title), intro = normaliseForSpelling(statement(generated.built));
      const list = tallies.get(q.id)!;
      for (const part of generated.parts) {
        let t = list.find((x) => x.key === part.spec.key);
        if (!t) list.push(t = newTally(q, part));
        t.variants++;
        const id = answerIdentity(part.answer);
        t.answers.set(id, (t.answers.get(id) ?? 0) + 1);
        if (part.mistakes.some((m) => allWithinTolerance(part.answer, m.value, part.tolerance))) t.mistakeWithinTolerance++;
        if (typeof part.answer === 'string') tallyChoice(t, part, part.answer, variant, title, intro);
        else tallyNumeric(t, part.answer, part.tolerance, printed, bank.digits);
      }
    }
  }
  const questions: QuestionAudit[] = bank.questions.map((q) => ({ id: q.id, type: q.type.id, title: q.title, parts: tallies.get(q.id)!.map(partFigures) }));
  const violations = questions.flatMap((q) => q.parts.flatMap((p) => violationsOf(p, q.title)));
  const rejected = Object.values(stats.rejected).reduce((a, b) => a + b, 0);
  return {
    bank: { id: bank.id, title: bank.title, generator: bank.generator, digits: bank.digits, hash: bank.hash },
    count, seed,
    draws: { draws: stats.draws, rejected, redrawRate: stats.draws === 0 ? 0 : rejected / stats.draws, reasons: stats.rejected },
    limits: AUDIT_LIMITS,
    questions,
    violations,
    passed: violations.length === 0,
  };
}
