/**
 * `GRADSHEET_DEBUG=1`: a timeline on standard error, seconds since the process started, for finding
 * where a slow run spends its time. Off (one property read) otherwise.
 */
import { writeSync } from 'node:fs';

const on = Boolean(process.env.GRADSHEET_DEBUG);

export function trace(label: string): void {
  // written at once: the timeline must not lag behind a busy event loop, nor be lost on process.exit
  if (on) writeSync(2, `[${process.uptime().toFixed(3)} s, ${process.resourceUsage().minorPageFault} page faults] ${label}\n`);
}
