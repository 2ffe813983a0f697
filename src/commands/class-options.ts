/**
 * The command-line options that say who the variants are for, and the checks that need nothing
 * loaded: render runs them before it starts Chromium, so a typo does not cost a browser start.
 */
import { GradsheetError } from '../errors.js';

export interface ClassOptions {
  bank?: string;
  seed?: string;
  count?: string;
  roster?: string;
  'secret-file'?: string;
}

export const CLASS_OPTIONS = {
  bank: { type: 'string' },
  seed: { type: 'string' },
  count: { type: 'string' },
  roster: { type: 'string' },
  'secret-file': { type: 'string' },
} as const;

/** Throws a usage error naming what is missing or contradictory. */
export function checkClassOptions(o: ClassOptions, command: string): void {
  if (!o.bank) throw new GradsheetError('usage', `${command} needs --bank NAME|PATH (run \`gradsheet banks\` for the default banks).`);
  const bySeed = o.seed !== undefined, byRoster = o.roster !== undefined || o['secret-file'] !== undefined;
  if (bySeed === byRoster) throw new GradsheetError('usage', `${command} needs either --seed S [--count N] (practice sheets) or --roster FILE --secret-file FILE (a class), not ${bySeed ? 'both' : 'neither'}.`);
  if (bySeed) {
    const count = o.count === undefined ? 1 : Number(o.count);
    if (!Number.isInteger(count) || count < 1 || count > 10000) throw new GradsheetError('usage', `--count should be a whole number from 1 to 10000, not "${o.count}".`);
  } else if (!o.roster || !o['secret-file']) {
    throw new GradsheetError('usage', `${command} needs both --roster FILE and --secret-file FILE for a class.`);
  }
}
