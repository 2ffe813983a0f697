/**
 * Variants: one per student. A variant code is an HMAC of the student id under the teacher's
 * secret; the variant's seed is an HMAC of the code. So the grader needs only bank + secret +
 * code (no stored state), and a student who knows a code but not the secret cannot reproduce
 * the answers. Open practice sheets use `--seed S` as the secret, with numbered students.
 */
import { createHash, createHmac } from 'node:crypto';
import { drawQuestion, type DrawStats, type GeneratedQuestion } from './generate.js';
import { partTolerance, type Bank, type BankQuestion } from './bank.js';
import { rngFrom } from './random.js';
import { keyVariant, type KeyVariant, type Variant } from './key.js';

export type { Variant } from './key.js';
import { LATEST_GENERATOR } from './generator-version.js';

/**
 * The newest generator version (see generator-version.ts); a bank names the version it is drawn
 * with, and every key records it.
 */
export const GENERATOR_VERSION = LATEST_GENERATOR;

/** Crockford's base32: no I, L, O, U, so codes survive handwriting and phone keyboards. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function hmac(secret: string, message: string): Buffer {
  return createHmac('sha256', secret).update(message).digest();
}

/**
 * The worksheet code of a student, "K7P2-9XQ4" (40 bits). From generator version 2 on the code
 * names the version too, so a sheet printed under generator 1 is never graded against another
 * version's variant of the same bank: its code is simply not one the newer bank issued.
 */
export function variantCode(secret: string, bankId: string, student: string, generator = 1): string {
  const bytes = hmac(secret, `gradsheet/code/v${generator >= 2 ? 2 : 1}|${bankId}|${student}`);
  let bits = 0n;
  for (let i = 0; i < 5; i++) bits = (bits << 8n) | BigInt(bytes[i]!);
  let code = '';
  for (let i = 0; i < 8; i++) {
    code = ALPHABET[Number(bits & 31n)]! + code;
    bits >>= 5n;
  }
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** Normalises what a student typed: case, spaces, and the look-alikes Crockford folds (O→0, I/L→1). */
export function normaliseCode(typed: string): string {
  const clean = typed.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  return clean.length === 8 ? `${clean.slice(0, 4)}-${clean.slice(4)}` : typed.trim().toUpperCase();
}

export function variantSeed(secret: string, bankId: string, code: string): string {
  return hmac(secret, `gradsheet/seed/v1|${bankId}|${code}`).toString('hex');
}

/** The secret behind an open practice sheet's `--seed S`. */
export function practiceSecret(seed: string): string {
  return `gradsheet-practice|${seed}`;
}

/** A tag that tells secrets apart without revealing them (what a store keeps to know its assignment). */
export function secretTag(secret: string): string {
  return createHash('sha256').update(`gradsheet secret tag|${secret}`).digest('hex').slice(0, 16);
}

/** The student ids of an open practice set: practice-1 … practice-N. */
export function practiceStudents(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `practice-${i + 1}`);
}


/** One question of a variant, drawn from its own stream: adding a question leaves the others as they were. */
export function generateBankQuestion(bank: Bank, q: BankQuestion, seed: string, stats?: DrawStats): GeneratedQuestion {
  const rng = rngFrom(`${seed}|${q.id}`);
  return drawQuestion(q.type, rng, q.params, { digits: bank.digits, generator: bank.generator }, (spec) => partTolerance(q, spec), stats, `question ${q.id} (${q.type.id})`);
}

export function generateVariant(bank: Bank, secret: string, student: { id: string; name: string }, stats?: DrawStats): Variant {
  const code = variantCode(secret, bank.id, student.id, bank.generator);
  const seed = variantSeed(secret, bank.id, code);
  return {
    code,
    student: student.id,
    name: student.name,
    questions: bank.questions.map((q) => ({ bank: q, generated: generateBankQuestion(bank, q, seed, stats) })),
  };
}

/** Key variants (plain JSON) for every student, in roster order. */
export function generateKeyVariants(bank: Bank, secret: string, students: readonly { id: string; name: string }[], stats?: DrawStats): KeyVariant[] {
  return students.map((s) => keyVariant(generateVariant(bank, secret, s, stats)));
}
