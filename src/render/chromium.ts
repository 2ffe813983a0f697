/**
 * Which Chromium gradsheet runs and with what command line (`puppeteer.launch` starts it, see
 * browser.ts), where its throwaway profile goes, and killing its process group.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants as fsConstants, readFileSync, readdirSync, statSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename } from 'node:path';
import { GradsheetError } from '../errors.js';

/**
 * Where Debian (and Google) put a browser, in the order they are tried. Debian's
 * chromium-headless-shell (the same Chromium, without the browser's UI: Puppeteer's "shell" mode)
 * comes first: it renders a class set about 1.7× as fast as /usr/bin/chromium here, whose new
 * headless mode still runs much of the browser around the page.
 */
export const CHROMIUM_CANDIDATES = ['/usr/bin/chromium-headless-shell', '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'] as const;

/** Whether a binary is a headless shell rather than a full browser. */
export function isHeadlessShell(executablePath: string): boolean {
  return /headless[-_]shell$/.test(basename(executablePath));
}

/** The Chromium binary to render with: `GRADSHEET_CHROMIUM` if set (it must exist), else the first candidate that exists. */
export function findChromium(env: NodeJS.ProcessEnv = process.env, candidates: readonly string[] = CHROMIUM_CANDIDATES): string {
  const chosen = env.GRADSHEET_CHROMIUM;
  if (chosen !== undefined && chosen !== '') {
    if (!isExecutableFile(chosen)) {
      throw new GradsheetError('browser', `GRADSHEET_CHROMIUM is set to ${chosen}, which is not an executable file; point it at a Chrome/Chromium binary, or unset it to use the one in /usr/bin.`);
    }
    return chosen;
  }
  const found = candidates.find(isExecutableFile);
  if (found === undefined) {
    throw new GradsheetError('browser', "No Chromium found; install it with `apt-get install -y chromium` (the README's main command does this as root), or set GRADSHEET_CHROMIUM to a Chrome/Chromium binary.");
  }
  return found;
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Chromium's command line: Puppeteer's defaults for a pipe-driven browser (tests/chromium.test.ts
 * holds this list against `puppeteer.defaultArgs()`), less the two that only tagged PDFs and PDF
 * outlines need, plus our own.
 */
export function chromiumArgs(executablePath: string, profileDir: string): string[] {
  return [
    '--allow-pre-commit-input', '--disable-background-networking', '--disable-background-timer-throttling',
    '--disable-backgrounding-occluded-windows', '--disable-breakpad', '--disable-client-side-phishing-detection',
    '--disable-component-extensions-with-background-pages', '--disable-crash-reporter', '--disable-default-apps',
    '--disable-dev-shm-usage', '--disable-hang-monitor', '--disable-infobars', '--disable-ipc-flooding-protection',
    '--disable-popup-blocking', '--disable-prompt-on-repost', '--disable-renderer-backgrounding',
    '--disable-search-engine-choice-screen', '--disable-sync', '--enable-automation', '--force-color-profile=srgb',
    '--metrics-recording-only', '--no-first-run', '--password-store=basic', '--use-mock-keychain',
    '--headless', '--hide-scrollbars', '--mute-audio', '--disable-extensions',
    '--no-sandbox', '--disable-gpu', '--disable-component-update',
    // No GPU process: with the GPU off it only composited in software, for pages under begin-frame
    // control that draw no frames. As a thread of the browser, it spares starting a process, whose
    // fresh memory costs more here than anything it did (the run ~10% faster).
    '--in-process-gpu',
    // Chromium 15x's new headless mode (/usr/bin/chromium) still builds the omnibox popups
    // (chrome://omnibox-popup.top-chrome) in a renderer of their own, which kept a core ~45% busy
    // for the whole run; the headless shell has none.
    '--disable-features=Translate,AcceptCHFrame,MediaRouter,OptimizationHints,WebUIReloadButton,ProcessPerSiteUpToMainFrameThreshold,IsolateSandboxedIframes' +
      (isHeadlessShell(executablePath) ? '' : ',WebUIOmniboxPopup,WebUIOmniboxAimPopup,WebUIOmniboxFullPopup'),
    // The network service (which serves no page of ours anything: every request is refused) runs
    // in the browser process rather than a process of its own: one process fewer to start, whose
    // ~3,600 first touches of fresh memory cost more here than its work (~0.14 s of CPU a run).
    '--enable-features=NetworkServiceInProcess2',
    // The network is switched off below the page: no host resolves and every proxied connection
    // goes to a proxy that cannot resolve either. Request interception alone misses
    // <link rel=prefetch> and <link rel=preconnect>.
    '--host-resolver-rules=MAP * ~NOTFOUND', '--proxy-server=http://gradsheet-no-network.invalid:9', '--proxy-bypass-list=<-loopback>',
    // Pages are created under begin-frame control (see PdfRenderer): the compositor draws no
    // frames for a screen nobody looks at. A headless shell only.
    ...(isHeadlessShell(executablePath) ? ['--enable-begin-frame-control'] : []),
    `--user-data-dir=${profileDir}`,
    '--remote-debugging-pipe',
    // The shell opens no tab without a URL; the full browser opens its new-tab page anyway, so it
    // gets a blank one, which PdfRenderer closes.
    ...(isHeadlessShell(executablePath) ? [] : ['about:blank']),
  ];
}

/**
 * Where a throwaway profile goes: /dev/shm (memory) when it is a writable directory with room to
 * spare, else the temporary directory. Chromium writes ~70 small files into a fresh profile;
 * removing them from the disk here took ~60 ms at the end of every render, from memory ~5 ms.
 */
export function profileParent(): string {
  try {
    const shm = statfsSync('/dev/shm');
    accessSync('/dev/shm', fsConstants.W_OK);
    if (shm.bavail * shm.bsize >= 64 * 1024 * 1024) return '/dev/shm';
  } catch {
    // no /dev/shm, or not ours to write
  }
  return tmpdir();
}

/**
 * The binary behind a launcher script that only runs it: Debian's /usr/bin/chromium-headless-shell
 * is `#!/bin/sh -e` and one line, `/usr/lib/chromium/chromium-headless-shell "$@"`, which leaves a
 * shell waiting in front of the browser for the whole run. Anything else (a binary, the full
 * browser's long launcher, which sets flags of its own) is returned as it is.
 */
export function launchedBinary(path: string): string {
  let text: string;
  try {
    if (statSync(path).size > 512) return path;
    text = readFileSync(path, 'latin1');
  } catch {
    return path;
  }
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  if (!/^#!\/bin\/(?:ba|da)?sh(?: -e)?\n/.test(text) || lines.length !== 1) return path;
  const target = /^(?:exec )?(\/[\w./+-]+) "\$@"$/.exec(lines[0]!)?.[1];
  return target !== undefined && isExecutableFile(target) ? target : path;
}

/**
 * Why a binary cannot be run at all, or undefined when it can be tried: a script whose `#!`
 * interpreter is missing. `puppeteer.launch({ pipe: true })` lets such a spawn failure escape as
 * an unhandled 'error' event that ends the process (puppeteer/puppeteer#12025), so it is asked first.
 */
export function unrunnable(path: string): string | undefined {
  let head: string;
  try {
    head = readFileSync(path, { encoding: 'latin1', flag: 'r' }).slice(0, 256);
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  const interpreter = /^#!\s*(\S+)/.exec(head)?.[1];
  return interpreter !== undefined && !isExecutableFile(interpreter) ? `its interpreter ${interpreter} is missing` : undefined;
}

/**
 * Why a browser that quit while starting quit, as it says when run again with `--version`
 * (Puppeteer reports only that the pipe closed): "it exited (exit code 127): <its last words>",
 * or undefined when it runs fine that way.
 */
export function whyItExits(path: string): string | undefined {
  const run = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'ignore', 'pipe'] });
  if (run.error === undefined && run.status === 0) return undefined;
  const how = `it exited (${run.error?.message ?? (run.signal ? `signal ${run.signal}` : `exit code ${run.status}`)})`;
  return [how, run.stderr?.trim().split('\n').slice(-3).join(' ')].filter(Boolean).join(': ');
}

/** SIGKILL to a process group (a Chromium we started leads its own). */
export function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/**
 * How many processes of a process group are still alive (zombies are dead: a container's PID 1
 * may never reap them). Read from /proc; where there is none, 0.
 */
export function liveProcessesInGroup(pgid: number): number {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return 0;
  }
  let live = 0;
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    // pid (comm) state ppid pgrp ...; comm may contain spaces, so split after its closing parenthesis
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z') live += 1;
  }
  return live;
}
