/**
 * Requirement (generator issue): 1000 variants of the `midterm` bank with every check on
 * (by-hand rounding, misconception separation, regime control). Goal: under 3 s on this machine.
 * Reports the time and the redraw rate (rejected draws / all draws).
 *
 * Timed in-process through the library (the CLI adds only writing key.json), best of 2.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const VARIANTS = 1000;

export default async function generateBench() {
  const { parseBank, generateVariant, practiceSecret } = await import(`${root}dist/index.js`);
  const bank = parseBank(JSON.parse(readFileSync(`${root}question-banks/midterm.json`, 'utf8')));
  let best = Infinity, stats;
  for (let run = 0; run < 2; run++) {
    const s = { draws: 0, rejected: {} };
    const start = performance.now();
    for (let i = 0; i < VARIANTS; i++) generateVariant(bank, practiceSecret(`bench-${run}`), { id: `s${i}`, name: `s${i}` }, s);
    const seconds = (performance.now() - start) / 1000;
    if (seconds < best) { best = seconds; stats = s; }
  }
  const rejected = Object.values(stats.rejected).reduce((a, b) => a + b, 0);
  const questions = VARIANTS * bank.questions.length;
  console.log(`  ${VARIANTS} variants × ${bank.questions.length} questions: ${best.toFixed(2)} s; ${stats.draws} draws for ${questions} questions, redraw rate ${(100 * rejected / stats.draws).toFixed(1)}% ${JSON.stringify(stats.rejected)}`);
  return { name: `generate ${VARIANTS} midterm variants`, seconds: best, redraw_rate: rejected / stats.draws, goal: 'seconds < 3' };
}
