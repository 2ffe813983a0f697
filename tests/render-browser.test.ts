/**
 * The HTML → PDF engine against a real Chromium, with the PDFs read back by poppler
 * (pdftotext, pdffonts, pdfinfo) and the processes read from /proc.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import katex from 'katex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isGradsheetError } from '../src/errors.js';
import { CHROMIUM_CANDIDATES, PdfRenderer, findChromium, inches, isHeadlessShell, katexCss, type PdfPageOptions, type RenderInput } from '../src/render/browser.js';
import { cssString, loadTemplates } from '../src/render/templates.js';
import { clip } from '../src/text.js';
import { PdfConcatenation, concatenatePdfs } from '../src/render/class-set.js';
import { profileParent } from '../src/render/chromium.js';
import { ROOT } from './support/cli.js';

const MATH = katex.renderToString("\\frac{\\partial L_3}{\\partial U} = \\sum_k \\tanh'(\\theta_k)", { output: 'html' });
const workDir = mkdtempSync(join(tmpdir(), 'gradsheet-pdf-test-'));
let fileCount = 0;

function save(bytes: Uint8Array): string {
  const path = join(workDir, `doc-${++fileCount}.pdf`);
  writeFileSync(path, bytes);
  return path;
}

const poppler = (tool: string, args: string[]): string => execFileSync(tool, args, { encoding: 'utf8' });
const pageText = (path: string, page: number): string => poppler('pdftotext', ['-layout', '-f', String(page), '-l', String(page), path, '-']);
const allText = (path: string): string => poppler('pdftotext', [path, '-']);
const fontNames = (path: string): string[] => poppler('pdffonts', [path]).split('\n').slice(2).filter(Boolean).map((line) => line.split(/\s+/)[0]!);

function pdfInfo(path: string): { pages: number; width: number; height: number } {
  const info = poppler('pdfinfo', [path]);
  const size = /Page size:\s+([\d.]+) x ([\d.]+) pts/.exec(info)!;
  return { pages: Number(/Pages:\s+(\d+)/.exec(info)![1]), width: Number(size[1]), height: Number(size[2]) };
}

/** Live (not zombie) processes in a process group, as ps sees them. PID 1 of a container may never reap Chromium's zombies; they are dead. */
function liveProcessesInGroup(pgid: number): number[] {
  return execFileSync('ps', ['-eo', 'pid=,pgid=,stat='], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([pid, group, stat]) => pid && Number(group) === pgid && !stat!.startsWith('Z'))
    .map(([pid]) => Number(pid));
}

/** The temporary profile Chromium was started with, read from its command line. */
function profileDirOf(pid: number): string {
  const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  return args.find((a) => a.startsWith('--user-data-dir='))!.slice('--user-data-dir='.length);
}

async function eventually(check: () => boolean, ms = 5_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

describe('findChromium', () => {
  it('uses GRADSHEET_CHROMIUM when it names an executable file', () => {
    expect(findChromium({ GRADSHEET_CHROMIUM: process.execPath })).toBe(process.execPath);
  });

  it('refuses a GRADSHEET_CHROMIUM that points nowhere, in one sentence naming the variable', () => {
    const attempt = () => findChromium({ GRADSHEET_CHROMIUM: '/nowhere/chromium' });
    expect(attempt).toThrowError(/^GRADSHEET_CHROMIUM is set to \/nowhere\/chromium, which is not an executable file; .*\.$/);
    try {
      attempt();
    } catch (e) {
      expect(isGradsheetError(e) && e.code).toBe('browser');
    }
  });

  it("finds Debian's Chromium when the variable is unset", () => {
    expect(CHROMIUM_CANDIDATES).toContain(findChromium({}));
  });

  it("prefers Debian's headless shell, and knows a shell from a full browser by its name", () => {
    expect(CHROMIUM_CANDIDATES[0]).toBe('/usr/bin/chromium-headless-shell');
    expect(isHeadlessShell('/usr/bin/chromium-headless-shell')).toBe(true);
    expect(isHeadlessShell('/opt/chrome-headless-shell-linux64/chrome-headless-shell')).toBe(true);
    expect(isHeadlessShell('/usr/bin/chromium')).toBe(false);
    expect(isHeadlessShell('/usr/bin/google-chrome')).toBe(false);
  });

  it('says how to install Chromium when there is none', () => {
    expect(() => findChromium({}, ['/nowhere/chromium', '/nowhere/google-chrome'])).toThrowError(
      "No Chromium found; install it with `apt-get install -y chromium` (the README's main command does this as root), or set GRADSHEET_CHROMIUM to a Chrome/Chromium binary.",
    );
  });
});

describe('inches (the margins as Page.printToPDF takes them)', () => {
  it('reads millimetres, centimetres, inches and pixels (96 an inch), and nothing else', () => {
    expect(inches('25.4mm')).toBeCloseTo(1, 12);
    expect(inches('2.54cm')).toBeCloseTo(1, 12);
    expect(inches('0.5in')).toBe(0.5);
    expect(inches('48px')).toBe(0.5);
    expect(inches(96)).toBe(1);
    expect(inches('0')).toBe(0);
    expect(inches(undefined)).toBe(0);
    expect(() => inches('1em')).toThrow(/Not a length/);
  });
});

describe('katexCss', () => {
  it('inlines every KaTeX font as woff2 data and keeps no file, woff or ttf reference', () => {
    const css = katexCss();
    expect(css.match(/url\(data:font\/woff2;base64,/g)).toHaveLength(20);
    expect(css).not.toMatch(/url\(fonts\/|format\("woff"\)|format\("truetype"\)/);
    expect(katexCss()).toBe(css);
  });
});

describe('PdfRenderer', () => {
  let renderer: PdfRenderer;
  const blocked: string[] = [];
  const render = async (input: RenderInput, options: PdfPageOptions = { format: 'A4' }) => save(await renderer.print(input, options));

  beforeAll(async () => {
    renderer = await PdfRenderer.launch({ pages: 2, onBlockedRequest: (url) => blocked.push(url) });
  });
  afterAll(async () => {
    await renderer?.close();
  });

  it('typesets KaTeX math with the KaTeX fonts embedded in the PDF', async () => {
    const path = await render({ body: `<h1>Backpropagation through time</h1><p>The per-step terms add up: ${MATH}</p>` });
    const fonts = fontNames(path);
    expect(fonts.some((name) => name.includes('KaTeX_Main'))).toBe(true);
    expect(fonts.some((name) => name.includes('KaTeX_Math'))).toBe(true);
    const text = allText(path);
    expect(text).toContain('Backpropagation through time');
    expect(text).toContain('The per-step terms add up');
    expect(text).toMatch(/∂L/);
    expect(text).toContain('tanh');
  });

  it('prints A4 at 595 × 842 points and Letter at 612 × 792', async () => {
    const a4 = pdfInfo(await render({ body: '<p>A4</p>' }, { format: 'A4' }));
    const letter = pdfInfo(await render({ body: '<p>Letter</p>' }, { format: 'Letter' }));
    expect(Math.abs(a4.width - 595.28)).toBeLessThan(1);
    expect(Math.abs(a4.height - 841.89)).toBeLessThan(1);
    expect(letter).toEqual({ pages: 1, width: 612, height: 792 });
  });

  it('puts the header and footer on every page of a three-page document', async () => {
    const body = [1, 2, 3].map((n) => `<section style="break-after: page">Exercise ${n}</section>`).join('');
    const path = await render({ body, head: 'section:last-child { break-after: auto; }' }, {
      format: 'A4',
      headerTemplate: '<div style="font-size: 10px; width: 100%; text-align: center">Worksheet 7: BPTT</div>',
      footerTemplate: '<div style="font-size: 10px; width: 100%; text-align: center">Page <span class="pageNumber"></span> of <span class="totalPages"></span></div>',
      margin: { top: '20mm', bottom: '20mm', left: '15mm', right: '15mm' },
    });
    expect(pdfInfo(path).pages).toBe(3);
    for (const n of [1, 2, 3]) {
      const text = pageText(path, n);
      expect(text).toContain('Worksheet 7: BPTT');
      expect(text).toContain(`Exercise ${n}`);
      expect(text).toMatch(new RegExp(`Page ${n} of 3`));
    }
  });

  it("leaves the footer empty when only a header is given (Chromium would print its own URL and page count)", async () => {
    const path = await render({ body: '<p>Only a header</p>' }, {
      format: 'A4', headerTemplate: '<div style="font-size: 10px">Header only</div>', margin: { top: '20mm', bottom: '20mm' },
    });
    const text = allText(path);
    expect(text).toContain('Header only');
    expect(text).not.toMatch(/about:blank|1\/1/);
  });

  it('never runs script from the content, in any of its forms', async () => {
    const before = renderer.blockedRequests;
    const path = await render({
      body: `<p id="name">Ada Lovelace</p>
        <script>document.getElementById('name').textContent = 'PWNED by script';</script>
        <img src="http://example.com/x.png" onerror="document.getElementById('name').textContent = 'PWNED by onerror'">
        <img src="data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==" onload="document.getElementById('name').textContent = 'PWNED by onload'">
        <svg><script>document.getElementById('name').textContent = 'PWNED by svg';</script></svg>
        <iframe srcdoc="<script>parent.document.getElementById('name').textContent = 'PWNED by srcdoc'</script>"></iframe>
        <a href="javascript:void(0)">link</a>`,
    });
    const text = allText(path);
    expect(text).toContain('Ada Lovelace');
    expect(text).not.toContain('PWNED');
    expect(blocked).toContain('http://example.com/x.png');
    expect(renderer.blockedRequests).toBeGreaterThan(before);
  });

  describe('with a server listening on this machine', () => {
    let server: Server;
    let connections = 0;
    let base = '';
    beforeAll(async () => {
      server = createServer((socket) => {
        connections += 1;
        socket.on('error', () => undefined);
        socket.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('lets nothing reach it, not even the prefetch and preconnect that request interception never sees', async () => {
      const path = await render({
        head: `@import url(${base}/import.css); .bg { background: url(${base}/background.png); }`,
        body: `<p class="bg">Still printed</p>
          <img src="${base}/image.png"><link rel="stylesheet" href="${base}/style.css">
          <link rel="prefetch" href="${base}/prefetch"><link rel="preconnect" href="${base}/"><link rel="dns-prefetch" href="//gradsheet.example">
          <iframe src="${base}/frame"></iframe><object data="${base}/object"></object><embed src="${base}/embed">
          <iframe src="data:text/html,<img src='${base}/from-data-frame.png'>"></iframe>`,
      });
      await new Promise((resolve) => setTimeout(resolve, 500)); // time for anything late to connect
      expect(connections).toBe(0);
      expect(allText(path)).toContain('Still printed');
      expect(blocked).toEqual(expect.arrayContaining([`${base}/image.png`, `${base}/import.css`, `${base}/frame`]));
    });

    it('drops <meta> refresh, so the page keeps its shell (and KaTeX fonts) for the next document', async () => {
      for (const target of [`; url=${base}/refresh`, '', '; url=about:blank', '; url=data:text/html,hello']) {
        await render({ body: `<meta http-equiv="refresh" content="0${target}"><p>Refresh${target}</p>` });
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      const after = await Promise.all([1, 2].map((n) => render({ body: `<p>Next ${n} ${MATH}</p>` })));
      for (const path of after) expect(fontNames(path).some((name) => name.includes('KaTeX_Math'))).toBe(true);
      expect(connections).toBe(0);
    });
  });

  it('fails loudly when a font of the document cannot load, and renders the next document normally', async () => {
    const broken = renderer.print({
      head: "@font-face { font-family: Broken; src: url(data:font/woff2;base64,AAAA) format('woff2'); } p { font-family: Broken, serif; }",
      body: '<p>Text in a broken font</p>',
    }, { format: 'A4' });
    await expect(broken).rejects.toMatchObject({ code: 'browser', message: expect.stringMatching(/^Fonts did not load in Chromium: Broken/) });
    expect(allText(await render({ body: `<p>Recovered ${MATH}</p>` }))).toContain('Recovered');
  });

  it('checks the fonts of each document on its own: hidden math needs none, shown math needs KaTeX_Main, on a fresh page or a used one', async () => {
    await using fresh = await PdfRenderer.launch({ pages: 1 });
    const hidden = { body: `<p>Words only</p><div style="display:none">${MATH}</div>` };
    expect(allText(save(await fresh.print(hidden, { format: 'A4' })))).toContain('Words only');
    const shown = save(await fresh.print({ body: `<p>Math ${MATH}</p>` }, { format: 'A4' }));
    expect(fontNames(shown).some((name) => name.includes('KaTeX_Main'))).toBe(true);
    expect(allText(save(await fresh.print(hidden, { format: 'A4' })))).toContain('Words only');
  });

  it('joins no PDFs into a blank one, and PDFs that arrive out of order in their order', async () => {
    const { PDFDocument } = await import('pdf-lib');
    expect((await PDFDocument.load(await concatenatePdfs([]))).getPageCount()).toBe(1); // pdf-lib's blank page
    const docs = await Promise.all([1, 2, 3].map((n) => renderer.print({ body: `<p>Part ${n}</p>` }, { format: 'A4' })));
    const joined = new PdfConcatenation(3);
    await Promise.all([joined.set(2, docs[2]!), joined.set(0, docs[0]!), joined.set(1, docs[1]!)]);
    const path = save(await joined.save());
    expect([1, 2, 3].map((p) => pageText(path, p).trim())).toEqual(['Part 1', 'Part 2', 'Part 3']);
    expect(spawnSync('pdfinfo', [path], { encoding: 'utf8' }).stderr).toBe('');
  });

  it('renders ten documents at once through a pool of two pages, each PDF with its own content', async () => {
    const paths = await Promise.all(Array.from({ length: 10 }, (_, n) => render({ body: `<p>Student ${n}: ${MATH}</p>`, head: `p { font-size: ${10 + n}pt; }` })));
    paths.forEach((path, n) => {
      const text = allText(path);
      expect(text).toContain(`Student ${n}:`);
      expect(text.match(/Student \d+/g)).toEqual([`Student ${n}`]);
    });
  });

  it('renders thirty two-page documents through a pool of two, each with its own pages', async () => {
    const doc = (n: number) => ({
      body: Array.from({ length: 2 }, (_, p) => `<section style="${p === 0 ? 'break-after: page' : ''}"><h2>Sheet ${n}, page ${p + 1}</h2>` +
        Array.from({ length: 6 }, (_, q) => `<p>Question ${q + 1}: ${MATH}</p>`).join('') + '</section>').join(''),
    });
    // (the speed of this lives in `npm run bench`, not in a test)
    const pdfs = await Promise.all(Array.from({ length: 30 }, (_, n) => renderer.print(doc(n), { format: 'A4', footerTemplate: '<div style="font-size: 9px">Sheet <span class="pageNumber"></span></div>' })));
    for (const pdf of [pdfs[0]!, pdfs[29]!]) expect(pdfInfo(save(pdf)).pages).toBe(2);
  });
});

describe('the running header and footer (CSS page-margin boxes)', () => {
  const NAMES = ['Ann Lee', 'Bo "B" Ode', 'back\\slash', '</style><img src=x onerror=alert(1)>', 'Zoë Ñúñez', '王小明', "O'Brien; }{ @page"];

  it('quotes any text as a CSS string with nothing in it that could end the string, the rule or the style element', () => {
    for (const name of NAMES) {
      const css = cssString(name);
      expect(css.startsWith('"') && css.endsWith('"')).toBe(true);
      const inner = css.slice(1, -1);
      expect(inner).not.toMatch(/["<\n]/);
      // every backslash starts a hex escape ended by a space
      expect(inner.replace(/\\[0-9a-f]{1,6} /g, '')).not.toContain('\\');
    }
    expect(cssString('a"b')).toBe('"a\\22 b"');
    expect(cssString('<')).toBe('"\\3c "');
  });

  it('shortens long titles and names with an ellipsis, so the two halves of the header never meet', () => {
    expect(clip('Ann Lee', 32)).toBe('Ann Lee');
    expect(clip('A very long name Maximiliana Konstantinopoulou', 20)).toBe('A very long name Ma…');
    expect(Array.from(clip('王'.repeat(50), 10))).toHaveLength(10);
    const css = loadTemplates(join(ROOT, 'templates')).page({ course: 'Deep Learning', bankTitle: 'T'.repeat(200), name: 'N'.repeat(200), code: 'ABCD-EFGH' });
    expect(css).toContain(`"Deep Learning · ${'T'.repeat(59)}…"`);
    expect(css).toContain(`"${'N'.repeat(31)}… · ABCD-EFGH"`);
  });

  it('prints every name exactly as written in the margins of every page, with the right page count', async () => {
    await using renderer = await PdfRenderer.launch({ pages: 1 });
    for (const name of NAMES) {
      const head = `@page { @top-left { content: ${cssString(name)}; } @bottom-right { content: "page " counter(page) " of " counter(pages); } }`;
      const path = save(await renderer.print({ head, body: '<p style="break-after: page">one</p><p>two</p>' }, { format: 'A4', margin: { top: '20mm', bottom: '20mm' } }));
      for (const page of [1, 2]) {
        const text = pageText(path, page);
        expect(text, name).toContain(name);
        expect(text, name).toContain(`page ${page} of 2`);
      }
    }
  });
});

describe.skipIf(!existsSync('/usr/bin/chromium'))('the full Chromium, when the headless shell is not installed', () => {
  it('renders math with the KaTeX fonts embedded, in its own headless mode', async () => {
    await using renderer = await PdfRenderer.launch({ executablePath: '/usr/bin/chromium', pages: 1 });
    const path = save(await renderer.print({ body: `<p>Fallback ${MATH}</p>` }, { format: 'A4' }));
    expect(allText(path)).toContain('Fallback');
    expect(fontNames(path).some((name) => name.includes('KaTeX_Math'))).toBe(true);
  });
});

describe('a Chromium that cannot start', () => {
  function fakeBrowser(script: string): string {
    const path = join(workDir, `fake-chromium-${++fileCount}`);
    writeFileSync(path, script, { mode: 0o755 });
    return path;
  }
  const tempProfiles = () => readdirSync(profileParent()).filter((f) => f.startsWith('gradsheet-chromium-')).sort();

  it('that exits at once is reported with its exit code and last words, not after the timeout, and leaves no profile', async () => {
    const before = tempProfiles();
    const path = fakeBrowser("#!/bin/sh\necho '[0101/000000.000:ERROR:ozone_platform_x11.cc] Missing X server or $DISPLAY' >&2\nexit 127\n");
    // a timeout far longer than the test's own: reaching it would fail the test, not pass it
    const attempt = PdfRenderer.launch({ executablePath: path, timeoutMs: 120_000 });
    await expect(attempt).rejects.toMatchObject({
      code: 'browser',
      message: `Chromium (${path}) did not start: it exited (exit code 127): [0101/000000.000:ERROR:ozone_platform_x11.cc] Missing X server or $DISPLAY.`,
    });
    expect(tempProfiles()).toEqual(before);
  });

  it('that cannot even be executed is reported with the reason', async () => {
    const path = fakeBrowser('#!/nowhere/interpreter\n');
    await expect(PdfRenderer.launch({ executablePath: path, timeoutMs: 120_000 })).rejects.toMatchObject({
      code: 'browser',
      message: expect.stringMatching(new RegExp(`^Chromium \\(${path}\\) did not start: it exited \\(spawn ${path} ENOENT\\)\\.$`)),
    });
  });
});

describe('closing the renderer', () => {
  it('close() leaves no Chromium process and no profile behind, and later renders fail with a browser error', async () => {
    const renderer = await PdfRenderer.launch({ pages: 1 });
    const pid = renderer.pid!;
    const profile = profileDirOf(pid);
    expect(liveProcessesInGroup(pid).length).toBeGreaterThan(1);
    expect(existsSync(profile)).toBe(true);
    await renderer.close();
    expect(liveProcessesInGroup(pid)).toEqual([]);
    expect(existsSync(profile)).toBe(false);
    await expect(renderer.print({ body: '<p>late</p>' }, { format: 'A4' })).rejects.toMatchObject({ code: 'browser', message: 'The PDF renderer is closed.' });
    await renderer.close();
  });

  it('reports a Chromium that died under it as a browser error and removes its profile', async () => {
    const renderer = await PdfRenderer.launch({ pages: 1 });
    const pid = renderer.pid!;
    const profile = profileDirOf(pid);
    process.kill(-pid, 'SIGKILL');
    expect(await eventually(() => !existsSync(profile))).toBe(true);
    await expect(renderer.print({ body: '<p>orphan</p>' }, { format: 'A4' })).rejects.toMatchObject({ code: 'browser', message: 'Chromium exited unexpectedly; start a new renderer.' });
    await renderer.close();
  });

  it('works with await using', async () => {
    let pid: number | undefined;
    {
      await using renderer = await PdfRenderer.launch({ pages: 1 });
      pid = renderer.pid;
      expect(pdfInfo(save(await renderer.print({ body: '<p>scoped</p>' }, { format: 'Letter' }))).width).toBe(612);
    }
    expect(liveProcessesInGroup(pid!)).toEqual([]);
  });

  describe('when the Node process ends without close()', () => {
    // A child process launches a renderer from a bundle of src/render/browser.ts and is then ended.
    const bundle = join(ROOT, 'node_modules/.cache/gradsheet-tests/browser.mjs');
    beforeAll(async () => {
      mkdirSync(join(ROOT, 'node_modules/.cache/gradsheet-tests'), { recursive: true });
      await build({ entryPoints: [join(ROOT, 'src/render/browser.ts')], outfile: bundle, bundle: true, platform: 'node', format: 'esm', packages: 'external', logLevel: 'warning' });
    });

    const child = (how: string) => `
      const { PdfRenderer } = await import(${JSON.stringify(pathToFileURL(bundle).href)});
      const renderer = await PdfRenderer.launch({ pages: 1 });
      console.log(JSON.stringify({ pid: renderer.pid }));
      ${how === 'exit' ? 'setTimeout(() => process.exit(3), 200);' : 'setInterval(() => {}, 1000);'}`;

    it.each([
      ['Ctrl-C (SIGINT)', 'SIGINT', { signal: 'SIGINT', code: null }],
      ['SIGTERM', 'SIGTERM', { signal: 'SIGTERM', code: null }],
      ['process.exit()', 'exit', { signal: null, code: 3 }],
      ['SIGKILL, which no handler sees (Chromium notices its pipe close)', 'SIGKILL', { signal: 'SIGKILL', code: null }],
    ] as const)('%s takes Chromium down with it', async (_name, how, expected) => {
      const proc = spawn(process.execPath, ['--input-type=module', '-e', child(how)], { stdio: ['ignore', 'pipe', 'inherit'] });
      const ended = new Promise<{ signal: NodeJS.Signals | null; code: number | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
      const pid = await new Promise<number>((resolve, reject) => {
        let out = '';
        proc.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const line = /\{"pid":(\d+)\}/.exec(out);
          if (line) resolve(Number(line[1]));
        });
        proc.on('exit', () => reject(new Error(`child ended before launching: ${out}`)));
      });
      const profile = profileDirOf(pid);
      expect(liveProcessesInGroup(pid).length).toBeGreaterThan(1);
      if (how !== 'exit') proc.kill(how);
      expect(await ended).toEqual(expected);
      expect(await eventually(() => liveProcessesInGroup(pid).length === 0)).toBe(true);
      if (how === 'SIGKILL') {
        rmSync(profile, { recursive: true, force: true }); // nothing in the killed process could remove it
      } else {
        expect(existsSync(profile)).toBe(false);
      }
    });
  });
});
