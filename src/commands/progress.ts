/**
 * A progress bar on a terminal (stderr); nothing when stderr is redirected or the job is short.
 * Redrawn only when the whole percent changes, so a bulk run of 100,000 items writes ~100 times.
 */
export function progress(total: number, label: string, minTotal = 1): (done: number) => void {
  if (!process.stderr.isTTY || total < minTotal) return () => {};
  let last = -1;
  return (done) => {
    const pct = Math.floor((100 * done) / total);
    if (pct === last && done !== total) return;
    last = pct;
    const width = 30, filled = Math.round((done / total) * width);
    process.stderr.write(`\r${label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total}${done === total ? '\n' : ''}`);
  };
}
