/**
 * Generator versions. A version fixes how variants are drawn from a bank and its secret: the
 * instances, the parts, their tolerances and the order of choices. Every version stays
 * reproducible — a worksheet printed under it regenerates identically for grading — so a change
 * that would alter drawn variants is made under a new version, and each problem type keeps the
 * older versions' behaviour behind `style.generator`.
 *
 * 1. The first release's draws.
 * 2. Fair items (issue 7): no part whose answer is 0 or a number printed in the question, nor
 *    one that 0 or a printed number scores; tolerances sized to each answer so 0 never scores;
 *    choice answers balanced across variants and choices shuffled per variant; the regime of a
 *    long-range question drawn per variant (or its choice part dropped when the bank fixes it);
 *    the memory questions answered from the instance; the wider misconception catalogue.
 */
export const LATEST_GENERATOR = 2;

/** Every version this release can still draw. */
export const GENERATOR_VERSIONS = [1, 2] as const;
