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

export const KEY_OPTIONS = {
  key: { type: 'string' },
  bank: { type: 'string' },
  'secret-file': { type: 'string' },
  seed: { type: 'string' },
  reveal: { type: 'boolean', default: false },
} as const;

/**
 * The grader for a command's options; `bank` when the variants come from one (its assignment
 * policy), and `against`, what a regrade says it marked against.
 */
export async function loadGrader(o: { key?: string; bank?: string; 'secret-file'?: string; seed?: string; reveal?: boolean }, command: string, store?: Store): Promise<{ grader: Grader; title: string; bank?: Bank; against: string; drawnWith?: { hash: string; pinnedAt: string }; practice: boolean }> {
  const options = { reveal: o.reveal === true };
  if (o.key) {
    if (o.bank || o['secret-file'] || o.seed) throw new GradsheetError('usage', `${command} takes either --key or --bank with --secret-file (or --seed), not both.`);
    const key = parseWith(keySchema, await readJson(o.key), `answer key ${o.key}`);
    return { grader: Grader.fromKey(key as unknown as { digits: number; variants: KeyVariant[] }, options), title: key.bank.title, against: `answer key ${o.key} (bank ${key.bank.id}, sha256 ${key.bank.hash.slice(0, 12)}…)`, practice: key.practice === true };
  }
  if (!o.bank) throw new GradsheetError('usage', `${command} needs --key key.json, or --bank NAME|PATH with --secret-file FILE (or --seed S for practice sheets).`);
  if (!o['secret-file'] === !o.seed) throw new GradsheetError('usage', `${command} with --bank needs exactly one of --secret-file FILE and --seed S.`);
  const bank = await loadBank(o.bank);
  const secret = o.seed !== undefined ? practiceSecret(o.seed) : await readSecret(o['secret-file']!);
  const against = `bank ${bank.id} (sha256 ${bank.hash.slice(0, 12)}…)`;
  const practice = o.seed !== undefined;
  if (!store) return { grader: Grader.fromBank(bank, secret, options), title: bank.title, bank, against, practice };
  // with a store: the worksheets are drawn from the bank as it was when the store first saw it
  // (rebase.ts), graded with the bank's tolerances and points as they are now
  const pinned = await store.pinBank(bank, secretTag(secret));
  if (pinned.hash === bank.hash) return { grader: Grader.fromBank(bank, secret, options), title: bank.title, bank, against, practice };
  const drawn = parseBank(JSON.parse(pinned.canonical), `the bank pinned in the ${store.where}`);
  return { grader: Grader.fromBank(bank, secret, options, drawn), title: bank.title, bank, against: `${against}, worksheets drawn from its version of ${pinned.pinnedAt} (sha256 ${pinned.hash.slice(0, 12)}…)`, drawnWith: pinned, practice };
}
