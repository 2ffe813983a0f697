#!/usr/bin/env -S node --max-semi-space-size=2
/**
 * The command line: declares the commands and hands off to src/commands/. Each command module is
 * loaded only when it runs, so `gradsheet solve` does not pay for Puppeteer or KaTeX.
 */
import { runCli } from './commands/main.js';
import { trace } from './trace.js';

trace('gradsheet loaded');

// `gradsheet solve big.json | head` closes the pipe early: that is the reader's choice, not an error
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

const code = await runCli(process.argv.slice(2));
// Exiting at once skips Node's teardown of the heap, ~40 ms after a large solve; only when
// nothing is still waiting to be written (on Linux, writes to files, pipes and terminals are
// synchronous, so nothing is).
if (process.stdout.writableLength === 0 && process.stderr.writableLength === 0) process.exit(code);
process.exitCode = code;
