/**
 * Finding, starting and killing the Chromium process, without Puppeteer's launcher: the one part
 * of rendering kept hand-written, isolated here, for its measured gain.
 *
 * gradsheet starts Chromium itself, the moment a render begins, and only then loads Puppeteer's
 * connect-only build and connects it over the same DevTools pipe `puppeteer.launch({pipe: true})`
 * would use: Chromium's own start-up (~0.7 s to a usable page) overlaps the rest of the load
 * instead of following it. `puppeteer.launch` (tried, see the README's benchmarks) needs
 * Puppeteer's Node entry point loaded first, which with the browser downloader it carries took
 * ~0.65 s of CPU and ~110,000 page faults before Chromium was even started; it also ends the
 * process on a binary it cannot spawn (puppeteer/puppeteer#12025) and reports a browser that dies
 * on start only as "Target closed", where this reports the exit code and Chromium's last words.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
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

/** A started Chromium: its process (leader of its own process group), its DevTools pipe and its throwaway profile. */
export interface ChromiumProcess {
  readonly executablePath: string;
  readonly child: ChildProcess;
  readonly transport: PipeTransport;
  readonly profileDir: string;
  /** The last lines Chromium wrote to standard error, for the message when it fails to start. */
  stderrTail(): string;
  /** Resolves when the process has exited or could not be spawned (immediately if so already). */
  exited(): Promise<void>;
  /** Whether it has exited or could not be spawned. */
  hasExited(): boolean;
  /** How it ended: "exit code 127", "signal SIGKILL" or the spawn error. */
  exitDescription(): string;
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

/** Starts Chromium with a fresh profile and a DevTools pipe; throws a `browser` error if it cannot be spawned. */
export function startChromium(executablePath: string): ChromiumProcess {
  const profileDir = mkdtempSync(join(profileParent(), 'gradsheet-chromium-'));
  let child: ChildProcess;
  try {
    // detached: Chromium leads a process group of its own, so one kill reaches every helper process
    child = spawn(launchedBinary(executablePath), chromiumArgs(executablePath, profileDir), { detached: true, stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
  } catch (e) {
    rmSync(profileDir, { recursive: true, force: true, maxRetries: 3 });
    throw new GradsheetError('browser', `Chromium (${executablePath}) did not start: ${e instanceof Error ? e.message : String(e)}.`, { cause: e });
  }
  let stderr = '';
  // read (not ignored) so that Chromium never blocks on a full pipe; only the tail is kept
  child.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString('utf8')).slice(-4000); });
  child.stderr!.on('error', () => undefined);
  let spawnError: Error | undefined;
  let ended = false;
  const exit = new Promise<void>((resolve) => {
    const end = () => { ended = true; resolve(); };
    child.once('error', (e) => { spawnError = e; end(); });
    if (child.exitCode !== null || child.signalCode !== null) end();
    else child.once('exit', end);
  });
  const transport = new PipeTransport(child.stdio[3] as Writable, child.stdio[4] as Readable);
  return {
    executablePath, child, transport, profileDir,
    stderrTail: () => stderr.trim().split('\n').slice(-3).join(' '),
    exited: () => exit,
    hasExited: () => ended,
    exitDescription: () => spawnError?.message ?? (child.signalCode ? `signal ${child.signalCode}` : `exit code ${child.exitCode}`),
  };
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

/**
 * The DevTools protocol over Chromium's `--remote-debugging-pipe` (fd 3 in, fd 4 out): JSON
 * messages, each ended by a NUL byte. The shape is Puppeteer's `ConnectionTransport`; messages are
 * handed on in a later macrotask, as Puppeteer's own pipe transport does, so a burst of replies
 * never runs inside the read callback.
 */
export class PipeTransport {
  onmessage?: (message: string) => void;
  #onclose?: () => void;
  readonly #write: Writable;
  readonly #read: Readable;
  #pending: Buffer[] = [];
  #closed = false;
  /** the read side has closed: Chromium is gone */
  #ended = false;

  constructor(write: Writable, read: Readable) {
    this.#write = write;
    this.#read = read;
    read.on('data', (chunk: Buffer) => this.#dispatch(chunk));
    read.on('close', () => {
      this.#closed = true;
      this.#ended = true;
      this.#onclose?.();
    });
    read.on('error', () => undefined);
    write.on('error', () => undefined);
  }

  /** Called when the pipe closes; set after it already has, it is called at once. */
  get onclose(): (() => void) | undefined {
    return this.#onclose;
  }

  set onclose(handler: (() => void) | undefined) {
    this.#onclose = handler;
    // Chromium can die before Puppeteer has loaded and attached its handler
    if (this.#ended && handler) queueMicrotask(handler);
  }

  send(message: string): void {
    if (this.#closed) throw new Error('the DevTools pipe to Chromium is closed');
    // one write (one system call), not one for the message and one for its terminator
    this.#write.write(message + '\0');
  }

  close(): void {
    this.#closed = true;
    this.#read.removeAllListeners('data');
  }

  #dispatch(chunk: Buffer): void {
    if (this.#closed) return;
    let end = chunk.indexOf(0);
    if (end === -1) {
      this.#pending.push(chunk);
      return;
    }
    let start = 0;
    const messages: string[] = [];
    if (this.#pending.length > 0) {
      this.#pending.push(chunk.subarray(0, end));
      messages.push(Buffer.concat(this.#pending).toString('utf8'));
      this.#pending = [];
      start = end + 1;
      end = chunk.indexOf(0, start);
    }
    while (end !== -1) {
      messages.push(chunk.toString('utf8', start, end));
      start = end + 1;
      end = chunk.indexOf(0, start);
    }
    if (start < chunk.length) this.#pending.push(chunk.subarray(start));
    setImmediate(() => {
      for (const message of messages) if (!this.#closed || this.#ended) this.onmessage?.(message);
    });
  }
}
