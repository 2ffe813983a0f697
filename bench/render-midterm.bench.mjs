/**
 * The figure a teacher feels (print issue): seconds for a 30-student `midterm` class set with its
 * answer key, end to end (`gradsheet render`, browser start included) — the worksheets, the
 * duplex class set, the key's cover, answer tables and worked solutions. Also with `--key answers`
 * (tables only) and without a key. Goal: ≤ 12 s with the full key (it was ~30 s before the print
 * issue on a quiet machine of this kind).
 */
import { timeRender } from './render.bench.mjs';

const ROUNDS = 2;

export default async function renderMidtermBench() {
  const best = (extra) => {
    let seconds = Infinity, pages = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const run = timeRender(round, extra, 'midterm');
      seconds = Math.min(seconds, run.seconds);
      pages = run.pages;
    }
    return { seconds, pages };
  };
  const full = best([]), answers = best(['--key', 'answers']), none = best(['--key', 'none']);
  console.log(`  30 midterm worksheets (${full.pages} pages): with the full key ${full.seconds.toFixed(1)} s, with the answer tables only ${answers.seconds.toFixed(1)} s, without a key ${none.seconds.toFixed(1)} s (best of ${ROUNDS})`);
  return {
    name: 'render a 30-student midterm class set with its key',
    seconds: full.seconds, seconds_answers_key: answers.seconds, seconds_no_key: none.seconds, worksheet_pages: full.pages,
    goal: 'seconds <= 12',
  };
}
