/**
 * Where the grader's variants come from: `--key key.json`, or `--bank B` with `--secret-file F`
 * (a class) or `--seed S` (practice sheets). Shared by check, grade and serve.
 */
import { GradsheetError } from '../errors.js';
import { Grader } from '../grade/grade.js';
import { keySchema } from '../grade/schemas.js';
import { practiceSecret } from '../problems/variants.js';
import type { KeyVariant } from '../problems/key.js';
import { parseBank, type Bank } from '../problems/bank.js';
import { secretTag } from '../problems/variants.js';
import type { Store } from '../store/store.js';
import { parseWith } from '../validation.js';
import { loadBank, readSecret } from './files.js';
import { readJson } from './io.js';
import { loadFormulas } from '../contract/formula.js';

/** Whether a bank asks formulas (its types' expression parts need the formula parser). */
export const bankUsesFormulas = (bank: Bank): boolean => bank.questions.some((q) => q.type.formulas === true);

export const KEY_OPTIONS = {
  key: { type: 'string' },
  bank: { type: 'string' },
  'secret-file': { type: 'string' },
  seed: { type: 'string' },
  reveal: { type: 'boolean', default: false },
} as const;

/** A command's grader, and what it was made from. */
export interface LoadedGrader {
  grader: Grader;
  title: string;
  /** the bank, when the variants come from one (its assignment policy) */
  bank?: Bank;
  /** what a regrade says it marked against */
  against: string;
  /** a practice set (a key so marked, or a bank with --seed): its answers are public */
  practice: boolean;
  /** bank mode: the tag of the secret (a store pins the bank per bank and secret), and the same grader for worksheets drawn from an earlier version of the bank */
  pinning?: { secretTag: string; drawnFrom: (drawn: Bank) => Grader };
  /** set by withPinnedBank when the worksheets were drawn from an earlier version of the bank */
  drawnWith?: { hash: string; pinnedAt: string };
}

/** The grader for a command's options (--key, or --bank with --secret-file or --seed). */
export async function loadGrader(o: { key?: string; bank?: string; 'secret-file'?: string; seed?: string; reveal?: boolean }, command: string): Promise<LoadedGrader> {
  const options = { reveal: o.reveal === true };
  if (o.key) {
    if (o.bank || o['secret-file'] || o.seed) throw new GradsheetError('usage', `${command} takes either --key or --bank with --secret-file (or --seed), not both.`);
    const key = parseWith(keySchema, await readJson(o.key), `answer key ${o.key}`);
    if (key.variants.some((v) => v.questions.some((q) => q.parts.some((p) => p.kind === 'expression')))) await loadFormulas();
    return { grader: Grader.fromKey(key as unknown as { digits: number; variants: KeyVariant[] }, options), title: key.bank.title, against: `answer key ${o.key} (bank ${key.bank.id}, sha256 ${key.bank.hash.slice(0, 12)}…)`, practice: key.practice === true };
  }
  if (!o.bank) throw new GradsheetError('usage', `${command} needs --key key.json, or --bank NAME|PATH with --secret-file FILE (or --seed S for practice sheets).`);
  if (!o['secret-file'] === !o.seed) throw new GradsheetError('usage', `${command} with --bank needs exactly one of --secret-file FILE and --seed S.`);
  const bank = await loadBank(o.bank);
  if (bankUsesFormulas(bank)) await loadFormulas();
  const secret = o.seed !== undefined ? practiceSecret(o.seed) : await readSecret(o['secret-file']!);
  return {
    grader: Grader.fromBank(bank, secret, options), title: bank.title, bank, against: `bank ${bank.id} (sha256 ${bank.hash.slice(0, 12)}…)`, practice: o.seed !== undefined,
    pinning: { secretTag: secretTag(secret), drawnFrom: (drawn) => Grader.fromBank(bank, secret, options, drawn) },
  };
}

/**
 * With a store (serve, regrade), a bank's worksheets are drawn from the bank as it was when the
 * store first saw it (rebase.ts), graded with the bank's tolerances and points as they are now.
 * A key's variants are fixed already: it is returned as it is.
 */
export async function withPinnedBank(loaded: LoadedGrader, store: Store): Promise<LoadedGrader> {
  if (!loaded.bank || !loaded.pinning) return loaded;
  const pinned = await store.pinBank(loaded.bank, loaded.pinning.secretTag);
  if (pinned.hash === loaded.bank.hash) return loaded;
  const drawn = parseBank(JSON.parse(pinned.canonical), `the bank pinned in the ${store.where}`);
  return { ...loaded, grader: loaded.pinning.drawnFrom(drawn), against: `${loaded.against}, worksheets drawn from its version of ${pinned.pinnedAt} (sha256 ${pinned.hash.slice(0, 12)}…)`, drawnWith: pinned };
}
