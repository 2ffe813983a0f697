/**
 * `GRADSHEET_DEBUG=1`: a timeline on standard error, seconds since the process started, for finding
 * where a slow run spends its time. Off (one property read) otherwise.
 */
const on = Boolean(process.env.GRADSHEET_DEBUG);

export function trace(label: string): void {
  if (on) process.stderr.write(`[${process.uptime().toFixed(3)} s] ${label}\n`);
}
