#!/usr/bin/env node
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

process.exitCode = await runCli(process.argv.slice(2));
