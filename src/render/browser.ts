/**
 * The low-level HTML → PDF engine: one headless Chromium, a small pool of pages, PDF bytes out.
 *
 * A page never runs script and never touches the network, whatever the HTML says (roster names and
 * bank text end up in it). Four things make that so, each enough for what it covers:
 *  - JavaScript is off for the page (`setJavaScriptEnabled(false)`). Our own `page.evaluate` calls
 *    still work — they go through the DevTools protocol, not the page — so content is swapped in
 *    and fonts are awaited without ever turning script on.
 *  - Every request the page makes is intercepted and refused, except `data:` URLs. Everything
 *    (fonts included) is inlined; nothing is loaded from `file://` either. Navigations are
 *    answered 204 No Content rather than aborted, so the page stays on its shell document.
 *  - Chromium itself cannot resolve a host or reach a proxy (`--host-resolver-rules`,
 *    `--proxy-server`). Interception does not see everything: `<link rel=prefetch>` and
 *    `<link rel=preconnect>` reached a local server untouched by it in a probe; with these flags
 *    nothing does.
 *  - `<meta>` elements are dropped from the body before it is inserted: `<meta http-equiv=refresh>`
 *    would navigate the page away from its shell (and print Chromium's error page).
 *
 * KaTeX's fonts are inlined as data: URIs in a shell document that each page loads once; each
 * render then swaps the body, so a font is loaded at most once per page, not per document, and
 * only once some document uses it (loading all twenty faces up front cost ~1 s of start-up).
 */
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Browser, CDPSession, HTTPRequest, Page, PDFMargin } from 'puppeteer-core/lib/esm/puppeteer/puppeteer-core-browser.js';
import { GradsheetError } from '../errors.js';
import { findChromium, isHeadlessShell, killGroup, liveProcessesInGroup, startChromium, type ChromiumProcess } from './chromium.js';
import { trace } from '../trace.js';
import { LEAN_VLIST_CSS } from './katex/lean.js';

export { CHROMIUM_CANDIDATES, findChromium, isHeadlessShell } from './chromium.js';

let katexCssCache: string | undefined;

/**
 * katex.min.css with every font inlined as a woff2 data: URI and the woff/ttf fallbacks dropped
 * (Chromium reads woff2), followed by the rules of gradsheet's lean lists (katex/lean.ts).
 * Computed once. A `file://` base does not work for the fonts here: `page.setContent` on
 * about:blank silently fails to load them, so they travel inside the CSS.
 */
export function katexCss(): string {
  if (katexCssCache !== undefined) return katexCssCache;
  const require = createRequire(import.meta.url);
  const cssPath = require.resolve('katex/dist/katex.min.css');
  const fontDir = join(dirname(cssPath), 'fonts');
  const css = readFileSync(cssPath, 'utf8');
  let faces = 0;
  const inlined = css.replace(/src:([^;}]*)/g, (whole, list: string) => {
    if (!list.includes('url(fonts/')) return whole;
    const woff2 = /url\(fonts\/(KaTeX_[\w-]+\.woff2)\)/.exec(list);
    if (!woff2) throw new GradsheetError('internal', `katex.min.css has a font without a woff2 file: ${list.slice(0, 80)}.`);
    faces += 1;
    const data = readFileSync(join(fontDir, woff2[1]!)).toString('base64');
    return `src:url(data:font/woff2;base64,${data}) format("woff2")`;
  });
  if (faces === 0 || inlined.includes('url(fonts/')) {
    throw new GradsheetError('internal', `katex.min.css (${cssPath}) does not have the @font-face rules this version of gradsheet expects.`);
  }
  katexCssCache = inlined + LEAN_VLIST_CSS;
  return katexCssCache;
}

/** What a document is: extra CSS for its `<head>` and the HTML of its `<body>`. */
export interface RenderInput {
  /** CSS text (not HTML), placed in a `<style>` after KaTeX's. */
  head?: string;
  body: string;
}

/** How the PDF is laid out; header and footer templates use Chromium's classes (`pageNumber`, `totalPages`). */
export interface PdfPageOptions {
  format: 'A4' | 'Letter';
  headerTemplate?: string;
  footerTemplate?: string;
  margin?: PDFMargin;
}

export interface PdfRendererOptions {
  /** The browser binary; `findChromium()` when omitted. */
  executablePath?: string;
  /** How many pages render at once (default 2, one per core of the machines we run on). */
  pages?: number;
  /** Called with the URL of every request a page tried to make and was refused (for tests and logs). */
  onBlockedRequest?: (url: string) => void;
  /** Milliseconds any one browser call may take before the render fails (default 30 000). */
  timeoutMs?: number;
}

/** How long any one browser call may take, unless `timeoutMs` says otherwise. */
const DEFAULT_TIMEOUT_MS = 30_000;

/** Paper sizes in inches, as Puppeteer's `format` reads them. */
const PAPER_INCHES = { A4: [8.27, 11.7], Letter: [8.5, 11] } as const;

/** A CSS length (`17mm`, `1in`, `2cm`, `10px`, or a number of px) in inches, as Page.printToPDF takes margins. */
export function inches(length: string | number | undefined): number {
  if (length === undefined) return 0;
  if (typeof length === 'number') return length / 96;
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(px|in|cm|mm)?\s*$/.exec(length);
  if (!m) throw new GradsheetError('internal', `Not a length in px, in, cm or mm: ${JSON.stringify(length)}.`);
  return Number(m[1]) / { px: 96, in: 1, cm: 2.54, mm: 25.4 }[(m[2] ?? 'px') as 'px' | 'in' | 'cm' | 'mm'];
}

/** The first Chromium that prints CSS page-margin boxes (@top-left … @bottom-right). */
export const MIN_CHROMIUM = 131;

const SHELL_HTML = (css: string): string =>
  '<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="gradsheet-render" content="">' +
  `<style id="gradsheet-katex">${css}</style><style id="gradsheet-extra"></style></head><body></body></html>`;

/** Every Chromium started and not yet closed (renderers, and browsers still starting), killed synchronously on every way out of the process. */
interface Killable {
  killNow(): void;
}
const live = new Set<Killable>();
const EXIT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function onProcessExit(): void {
  for (const renderer of [...live]) renderer.killNow();
}

function onSignal(signal: NodeJS.Signals): void {
  onProcessExit();
  uninstallExitHandlers();
  // Keep the signal's usual meaning (exit 128+n) unless someone else also listens and decides.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function installExitHandlers(): void {
  if (live.size !== 1) return;
  process.on('exit', onProcessExit);
  for (const signal of EXIT_SIGNALS) process.on(signal, onSignal);
}

function uninstallExitHandlers(): void {
  process.off('exit', onProcessExit);
  for (const signal of EXIT_SIGNALS) process.off(signal, onSignal);
}

/**
 * Puppeteer's browser build (connect only): the entry point Puppeteer documents for running
 * without its Node launcher ("Running Puppeteer in the browser", pptr.dev). Its Node entry point
 * also loads the browser downloader and its proxy support (a QuickJS interpreter among them):
 * ~0.65 s and ~110,000 page faults more before Chromium could be started.
 */
type PuppeteerBrowserBuild = typeof import('puppeteer-core/lib/esm/puppeteer/puppeteer-core-browser.js');
let puppeteerModule: Promise<PuppeteerBrowserBuild> | undefined;

/**
 * Puppeteer, loaded once. A caller that has just started a launch can await this before loading
 * anything else, so that the DevTools handshake is not left waiting behind unrelated modules.
 */
export function loadPuppeteer(): Promise<PuppeteerBrowserBuild> {
  puppeteerModule ??= import('puppeteer-core/lib/esm/puppeteer/puppeteer-core-browser.js');
  return puppeteerModule;
}

/** Kills a started Chromium's whole process group and removes its profile, synchronously. */
function killChromium(chromium: ChromiumProcess): void {
  chromium.transport.close();
  killGroup(chromium.child.pid);
  rmSync(chromium.profileDir, { recursive: true, force: true, maxRetries: 3 });
}

function forget(renderer: Killable): void {
  if (live.delete(renderer) && live.size === 0) uninstallExitHandlers();
}

/** What rendering asks of a PDF engine: a document in, its PDF bytes out. */
export interface Printer {
  /** How many documents it prints at once. */
  readonly poolSize: number;
  /** One document as PDF bytes; concurrent calls wait for a free page. */
  print(doc: RenderInput, pdf: PdfPageOptions): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** The Printer: one Chromium and a pool of pages turning HTML into PDF bytes. Close it (or `await using` it) when done. */
export class PdfRenderer implements Printer, AsyncDisposable {
  readonly #browser: Browser;
  readonly #chromium: ChromiumProcess;
  readonly #poolSize: number;
  readonly #timeoutMs: number;
  readonly #onBlockedRequest: ((url: string) => void) | undefined;
  readonly #idle: Page[] = [];
  /** Each pool page's own DevTools session, for printing. */
  readonly #sessions = new WeakMap<Page, CDPSession>();
  readonly #waiters: (() => void)[] = [];
  #pageCount = 0;
  #opened = 0;
  #browserSession: Promise<CDPSession> | undefined;
  #blocked = 0;
  #renders = 0;
  #closed = false;
  #crashed = false;

  private constructor(browser: Browser, chromium: ChromiumProcess, options: PdfRendererOptions) {
    this.#browser = browser;
    this.#chromium = chromium;
    this.#poolSize = options.pages ?? 2;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#onBlockedRequest = options.onBlockedRequest;
    browser.on('disconnected', () => {
      if (this.#closed) return;
      this.#crashed = true;
      this.killNow();
      this.#wakeAll();
    });
  }

  /**
   * Starts Chromium, connects Puppeteer to it and opens the page pool; fails with a `browser`
   * error if Chromium cannot start. Chromium is started before Puppeteer is even loaded.
   */
  static async launch(options: PdfRendererOptions = {}): Promise<PdfRenderer> {
    const pages = options.pages ?? 2;
    if (!Number.isInteger(pages) || pages < 1) throw new GradsheetError('usage', `The page pool needs a whole number of pages, at least 1, not ${pages}.`);
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const executablePath = options.executablePath ?? findChromium();
    trace('starting Chromium');
    const chromium = startChromium(executablePath);
    // Until the renderer exists, an exit (Ctrl-C included) still kills what was started.
    const starting = { killNow: () => killChromium(chromium) };
    live.add(starting);
    installExitHandlers();
    let browser: Browser;
    try {
      // A Chromium that cannot run exits at once: that ends the wait, rather than a timeout.
      const died = chromium.exited().then(() => Promise.reject(new Error('Chromium exited')));
      died.catch(() => undefined);
      const connecting = loadPuppeteer().then(({ connect }) => {
        trace('Puppeteer loaded');
        return connect({ transport: chromium.transport, protocolTimeout: timeoutMs });
      });
      connecting.catch(() => undefined);
      browser = await withTimeout(Promise.race([connecting, died]), timeoutMs);
    } catch (e) {
      // the pipe closes a moment before the exit is reported: give the exit that moment
      await withTimeout(chromium.exited(), 200).catch(() => undefined);
      const exited = chromium.hasExited();
      killChromium(chromium);
      // Chromium's standard error always holds harmless warnings: it is the reason only if it died
      const reason = exited
        ? [`it exited (${chromium.exitDescription()})`, chromium.stderrTail()].filter(Boolean).join(': ')
        : (e instanceof Error ? e.message.split('\n')[0] ?? '' : String(e));
      throw new GradsheetError('browser', `Chromium (${executablePath}) did not start: ${reason.replace(/[.\s]*$/, '')}.`, { cause: e });
    } finally {
      forget(starting);
    }
    // The full browser opens a tab of its own (the shell, started without a URL, does not): it is
    // not one of ours (JavaScript on, nothing intercepted), so it goes.
    for (const target of browser.targets()) {
      if (target.type() === 'page') void target.page().then((page) => page?.close(), () => undefined);
    }
    trace('Chromium is up');
    const renderer = new PdfRenderer(browser, chromium, options);
    live.add(renderer);
    installExitHandlers();
    try {
      // The pool's pages, opened now so that a broken setup fails here and the first render is not
      // slow, are the only tabs (the headless shell starts with none; the full browser's is being closed).
      const opening = Promise.all(Array.from({ length: pages }, () => renderer.#acquire()));
      opening.catch(() => undefined);
      // The running header and footer are CSS page-margin boxes, which Chromium prints from 131 on.
      const version = await browser.version();
      const major = Number(/\/(\d+)\./.exec(version)?.[1] ?? NaN);
      if (major < MIN_CHROMIUM) {
        throw new GradsheetError('browser', `${executablePath} is ${version}, too old to print the running header and footer; gradsheet needs Chromium ${MIN_CHROMIUM} or newer (Debian's chromium package is).`);
      }
      for (const page of await opening) renderer.#release(page, true);
      trace(`page pool of ${pages} ready`);
    } catch (e) {
      await renderer.close();
      throw e;
    }
    return renderer;
  }

  /** How many documents render at once (the pages of the pool). */
  get poolSize(): number {
    return this.#poolSize;
  }

  /** The browser's process id (its process group holds every Chromium process of this renderer). */
  get pid(): number | undefined {
    return this.#chromium.child.pid;
  }

  /** How many requests pages tried to make and were refused, since launch. */
  get blockedRequests(): number {
    return this.#blocked;
  }

  /** Prints one document to PDF bytes. Concurrent calls share the pool and wait for a free page. */
  async print(html: RenderInput, pdf: PdfPageOptions): Promise<Uint8Array> {
    const page = await this.#acquire();
    let healthy = false;
    try {
      const token = `render-${++this.#renders}`;
      const t0 = Date.now();
      const state = await page.evaluate(swapContentInPage, html.head ?? '', html.body, token);
      const t1 = Date.now();
      if (state.failedFonts.length > 0 || !state.katexLoaded) {
        throw new GradsheetError('browser', `Fonts did not load in Chromium: ${state.failedFonts.join(', ') || 'KaTeX_Main did not load for the math'}.`);
      }
      const header = pdf.headerTemplate;
      const footer = pdf.footerTemplate;
      // Page.printToPDF over the page's own DevTools session with the PDF in its reply (base64),
      // rather than page.pdf()'s stream read back with IO.read and IO.close: one round trip, not four.
      const [paperWidth, paperHeight] = PAPER_INCHES[pdf.format];
      const margin = pdf.margin ?? {};
      const { data } = await this.#sessionOf(page).send('Page.printToPDF', {
        transferMode: 'ReturnAsBase64', printBackground: true, paperWidth, paperHeight,
        marginTop: inches(margin.top), marginBottom: inches(margin.bottom), marginLeft: inches(margin.left), marginRight: inches(margin.right),
        displayHeaderFooter: Boolean(header || footer),
        // An empty template would make Chromium print its own (date, title, URL, n/m) in that slot.
        headerTemplate: header || '<span></span>', footerTemplate: footer || '<span></span>',
        generateTaggedPDF: false, generateDocumentOutline: false,
      });
      const bytes = Buffer.from(data, 'base64');
      trace(`${token}: content (${html.head?.length ?? 0} + ${html.body.length} characters) in ${t1 - t0} ms, printed in ${Date.now() - t1} ms (${bytes.length} bytes)`);
      const still = await page.evaluate(() => document.querySelector<HTMLMetaElement>('meta[name="gradsheet-render"]')?.content ?? null);
      if (still !== token) throw new GradsheetError('browser', 'The page left its document while printing, so the PDF cannot be trusted.');
      healthy = true;
      return bytes;
    } catch (e) {
      throw this.#asBrowserError(e);
    } finally {
      this.#release(page, healthy);
    }
  }

  /**
   * Closes Chromium and removes its temporary profile; safe to call twice. The browser has nothing
   * to save (its profile is thrown away), so it is killed rather than asked to shut down, which
   * took ~0.35 s. By default this then waits until every process of the browser's group has gone
   * (the browser and its renderers take 10–60 ms to give their memory back) before removing the
   * profile. `{ waitForGroup: false }` does not wait, for a caller about to exit: the whole group
   * has been sent SIGKILL, which no process can ignore, and a killed process writes nothing more
   * (the removal retries should one still be finishing a file it had begun).
   */
  async close(options: { waitForGroup?: boolean } = {}): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#wakeAll();
    killGroup(this.pid);
    if (options.waitForGroup !== false) {
      await withTimeout(this.#chromium.exited(), 5_000).catch(() => undefined);
      // the rest of the group dies a moment later than the process we started
      const pid = this.pid;
      for (let waited = 0; pid !== undefined && waited < 2_000 && liveProcessesInGroup(pid) > 0; waited += 5) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
    this.killNow();
    trace('Chromium closed');
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * Kills the whole Chromium process group and removes the profile, synchronously, for exit paths
   * where nothing asynchronous runs any more. Not for normal use; call `close()`.
   */
  killNow(): void {
    this.#closed = true;
    killChromium(this.#chromium);
    forget(this);
  }

  async #acquire(): Promise<Page> {
    for (;;) {
      this.#throwIfUnusable();
      const page = this.#idle.pop();
      if (page !== undefined) return page;
      if (this.#pageCount < this.#poolSize) {
        this.#pageCount += 1;
        try {
          return await this.#openPage();
        } catch (e) {
          this.#pageCount -= 1;
          this.#wakeOne();
          throw this.#asBrowserError(e);
        }
      }
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** Returns a page to the pool; a page that failed is closed and a fresh one opened on demand. */
  #release(page: Page, healthy: boolean): void {
    if (healthy && !this.#closed) {
      this.#idle.push(page);
    } else {
      this.#pageCount -= 1;
      page.close().catch(() => undefined);
    }
    this.#wakeOne();
  }

  #wakeOne(): void {
    this.#waiters.shift()?.();
  }

  #wakeAll(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }

  #throwIfUnusable(): void {
    if (this.#crashed) throw new GradsheetError('browser', 'Chromium exited unexpectedly; start a new renderer.');
    if (this.#closed) throw new GradsheetError('browser', 'The PDF renderer is closed.');
  }

  async #openPage(): Promise<Page> {
    const page = isHeadlessShell(this.#chromium.executablePath) ? await this.#newFramelessPage() : await this.#browser.newPage();
    try {
      page.setDefaultTimeout(this.#timeoutMs);
      await page.setJavaScriptEnabled(false);
      await page.setRequestInterception(true);
      page.on('request', (request) => this.#refuse(request));
      await page.emulateMediaType('print');
      // The shell replaces about:blank's document directly (Page.setDocumentContent): not a
      // request either, and without page.setContent's script and wait for the load event, which
      // for these ~370 kB (the fonts) took twice as long.
      const session = await page.createCDPSession();
      const { frameTree } = await session.send('Page.getFrameTree');
      await session.send('Page.setDocumentContent', { frameId: frameTree.frame.id, html: SHELL_HTML(katexCss()) });
      this.#sessions.set(page, session);
      return page;
    } catch (e) {
      await page.close().catch(() => undefined);
      throw e;
    }
  }

  /**
   * A page whose compositor draws only when asked (`enableBeginFrameControl`), and nothing asks:
   * printing and layout do not need frames, and drawing frames of each document for the screen,
   * with the hover hit-testing that comes with them, took about a third of Chromium's work per
   * document. The PDFs are the same, pixel for pixel. Puppeteer's newPage() has no such option,
   * so the target is created over the protocol and found by its (unique) address.
   */
  async #newFramelessPage(): Promise<Page> {
    const url = `about:blank#gradsheet-page-${++this.#opened}`;
    this.#browserSession ??= this.#browser.target().createCDPSession();
    const session = await this.#browserSession;
    const { targetId } = await session.send('Target.createTarget', { url, enableBeginFrameControl: true });
    // waitForTarget also looks at the targets already known, so the new one cannot be missed
    const target = await this.#browser.waitForTarget((t) => t.url() === url, { timeout: this.#timeoutMs });
    const page = await target.page();
    if (!page) {
      await session.send('Target.closeTarget', { targetId }).catch(() => undefined);
      throw new GradsheetError('browser', 'Chromium opened a tab that Puppeteer cannot drive as a page.');
    }
    return page;
  }

  #sessionOf(page: Page): CDPSession {
    const session = this.#sessions.get(page);
    if (session === undefined) throw new GradsheetError('internal', 'A pool page has no DevTools session.');
    return session;
  }

  #refuse(request: HTTPRequest): void {
    // data: URLs never leave the browser (and Puppeteer cannot intercept them anyway).
    const url = request.url();
    if (url.startsWith('data:') || request.isInterceptResolutionHandled()) return;
    this.#blocked += 1;
    this.#onBlockedRequest?.(url);
    // A refused navigation would replace the shell with Chromium's error page; 204 means "stay".
    const refusal = request.isNavigationRequest() ? request.respond({ status: 204, body: '' }) : request.abort('blockedbyclient');
    refusal.catch(() => undefined);
  }

  #asBrowserError(e: unknown): GradsheetError {
    if (e instanceof GradsheetError) return e;
    if (this.#crashed) return new GradsheetError('browser', 'Chromium exited unexpectedly while rendering; start a new renderer.', { cause: e });
    if (this.#closed) return new GradsheetError('browser', 'The PDF renderer was closed while rendering.', { cause: e });
    const detail = e instanceof Error ? e.message.split('\n')[0] : String(e);
    return new GradsheetError('browser', `Chromium failed to render the PDF: ${detail}`, { cause: e });
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// The function below runs inside the page (serialised by page.evaluate): it may use only
// its arguments and DOM globals. JavaScript is off for the page, and that has two consequences
// here: timers never fire (promises do settle, which is all that is awaited), and Blink refuses
// to call a function passed to a DOM method ("The provided callback is no longer runnable"), so
// DOM collections are walked with iterators and indices, never with their forEach.

/** Puts one document into the shell and waits until its images and fonts are ready to print. */
async function swapContentInPage(css: string, body: string, token: string): Promise<{ failedFonts: string[]; katexLoaded: boolean }> {
  document.getElementById('gradsheet-extra')!.textContent = css;
  // Parsed inert in a template first, so <meta> (refresh would navigate away) is gone before insertion.
  const template = document.createElement('template');
  template.innerHTML = body;
  const metas = template.content.querySelectorAll('meta');
  for (let i = 0; i < metas.length; i += 1) metas[i]!.remove();
  document.body.replaceChildren(template.content);
  document.querySelector<HTMLMetaElement>('meta[name="gradsheet-render"]')!.content = token;
  const images = Array.from({ length: document.images.length }, (_, i) => document.images[i]!);
  await Promise.all(images.map((image) => (image.complete ? undefined : image.decode().catch(() => undefined))));
  // Reading a layout size lays the page out, which starts the loads of the fonts it uses;
  // only then does fonts.ready wait for them (before layout it is already resolved).
  void document.body.offsetHeight;
  await document.fonts.ready;
  const faces = Array.from(document.fonts as unknown as Iterable<FontFace>);
  // A face loads when a document first uses it, so every face this one needed is now loaded (or
  // failed); unused ones stay unloaded. Math that is laid out sets its text in KaTeX_Main (the
  // .katex element's own font, whose metrics every line of math needs), which must be loaded.
  const failedFonts = faces.filter((face) => face.status === 'error' || face.status === 'loading').map((face) => `${face.family} ${face.weight} ${face.style}`);
  const maths = document.querySelectorAll('.katex');
  let mathShown = false;
  for (let i = 0; i < maths.length && !mathShown; i += 1) mathShown = maths[i]!.getClientRects().length > 0;
  const katexLoaded = !mathShown || document.fonts.check('12px KaTeX_Main');
  return { failedFonts, katexLoaded };
}
