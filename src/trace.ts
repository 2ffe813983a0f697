/**
 * `GRADSHEET_DEBUG=1`: a timeline on standard error (seconds since the process started, the CPU
 * time gradsheet's own process has used, its page faults so far), for finding where a slow run
 * spends its time. Off (one property read) otherwise.
 */
import { writeSync } from 'node:fs';

const on = Boolean(process.env.GRADSHEET_DEBUG);

export function trace(label: string): void {
  // written at once: the timeline must not lag behind a busy event loop, nor be lost on process.exit
  if (!on) return;
  const usage = process.resourceUsage();
  const cpu = (usage.userCPUTime + usage.systemCPUTime) / 1e6;
  writeSync(2, `[${process.uptime().toFixed(3)} s, cpu ${cpu.toFixed(3)} s, ${usage.minorPageFault} page faults] ${label}\n`);
}
