#!/usr/bin/env node
/**
 * The command line: declares the commands and hands off to src/commands/. Each command module is
 * loaded only when it runs, so `gradsheet solve` does not pay for Puppeteer or KaTeX.
 */
import { runCli } from './commands/main.js';

process.exitCode = await runCli(process.argv.slice(2));
