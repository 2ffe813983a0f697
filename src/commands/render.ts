import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GradsheetError } from '../errors.js';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { KeyVariant } from '../problems/key.js';
import { WORKING_SPACES, isWorkingSpace } from '../problems/working-space.js';
import type { KeyContents } from '../render/class-set.js';
import { PdfRenderer, loadPuppeteer } from '../render/browser.js';
import { trace } from '../trace.js';
import { CLASS_OPTIONS, checkClassOptions } from './class-options.js';

/** File names from student ids: the code first (unique), then a readable, safe form of the id. */
function sheetFile(code: string, student: string): string {
  const safe = student.normalize('NFKD').replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 40);
  return `${code}${safe ? `-${safe}` : ''}.pdf`;
}

/** --key full|answers|none, with --no-key the old spelling of --key none. */
function keyContents(key: string | undefined, noKey: boolean): KeyContents {
  const asked = key?.toLowerCase();
  if (asked !== undefined && asked !== 'full' && asked !== 'answers' && asked !== 'none') throw new GradsheetError('usage', `--key should be full, answers or none, not "${key}".`);
  if (noKey && asked !== undefined && asked !== 'none') throw new GradsheetError('usage', `--no-key means --key none, so it cannot go with --key ${asked}.`);
  return noKey ? 'none' : asked ?? 'full';
}

/** `gradsheet render --bank B (--seed S [--count N] | --roster F --secret-file F) --out DIR [--html] [--paper a4|letter] [--key full|answers|none] [--simplex] [--answer-sheet]` */
export async function runRender(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: {
    ...CLASS_OPTIONS, out: { type: 'string' }, html: { type: 'boolean', default: false }, paper: { type: 'string', default: 'a4' }, 'working-space': { type: 'string' },
    key: { type: 'string' }, 'no-key': { type: 'boolean', default: false }, simplex: { type: 'boolean', default: false }, 'answer-sheet': { type: 'boolean', default: false },
  }, strict: true });
  if (!values.out) throw new GradsheetError('usage', 'render needs --out DIR, the folder to write the PDFs to.');
  const paperName = (values.paper ?? 'a4').toLowerCase();
  if (paperName !== 'a4' && paperName !== 'letter') throw new GradsheetError('usage', `--paper should be a4 or letter, not "${values.paper}".`);
  const paper = paperName === 'a4' ? 'A4' : 'Letter';
  const workingSpace = values['working-space'];
  if (workingSpace !== undefined && !isWorkingSpace(workingSpace)) throw new GradsheetError('usage', `--working-space should be ${WORKING_SPACES.slice(0, -1).join(', ')} or ${WORKING_SPACES.at(-1)}, not "${workingSpace}".`);
  const key = keyContents(values.key, values['no-key'] === true);
  const answerSheets = values['answer-sheet'] === true;
  checkClassOptions(values, 'render');
  const out = values.out;

  // Chromium takes about a second to start: it is launched first (as soon as Puppeteer has
  // loaded), while the rest of gradsheet loads (KaTeX, Handlebars, zod, pdf-lib are imported only
  // now) and the variants are drawn.
  const launching = PdfRenderer.launch();
  launching.catch(() => {});
  let renderer: PdfRenderer | undefined;
  try {
    // Puppeteer first, so that Chromium is started before the rest loads; between the steps
    // below, the event loop gets a turn to answer Chromium as it opens the pages.
    await loadPuppeteer().catch(() => undefined);
    const [{ prettyJson }, { answerKey }, { generateKeyVariants }, classSet, { loadTemplates }, { loadClass }, files, { assertDistinctCodes }, { progress }] = await Promise.all([
      import('../json.js'), import('../problems/key.js'), import('../problems/variants.js'), import('../render/class-set.js'),
      import('../render/templates.js'), import('./class.js'), import('./files.js'), import('./generate.js'), import('./progress.js'), import('pdf-lib'),
    ]);
    const { classSetDocuments, documentCount, printClassSet, standaloneClassSet } = classSet;
    const { packageDir, writeAtomic } = files;
    trace('modules loaded');
    const cls = await loadClass(values, 'render');
    for (const n of cls.notices) process.stderr.write(`gradsheet render: ${n}\n`);
    for (const p of cls.rosterProblems) process.stderr.write(`gradsheet render: skipped ${p.message}\n`);
    const variants: KeyVariant[] = [];
    for (const student of cls.students) {
      await yieldToEventLoop();
      variants.push(...generateKeyVariants(cls.bank, cls.secret, [student]));
    }
    assertDistinctCodes(variants);
    await yieldToEventLoop();
    const templates = loadTemplates(join(packageDir(), 'templates'));
    await yieldToEventLoop();
    await writeAtomic(join(out, 'key.json'), prettyJson(answerKey(cls.bank, variants, { practice: cls.practice })) + '\n');
    trace('variants drawn, key.json written, templates loaded');
    const docs = classSetDocuments(templates, cls.bank, variants, { paper, key, answerSheets, duplex: values.simplex !== true, ...(workingSpace ? { workingSpace } : {}) }, values.html);
    if (values.html) {
      // built once here, for the HTML files, and printed from the same documents below
      const html = standaloneClassSet(templates, cls.bank.title, variants, docs);
      for (let i = 0; i < variants.length; i++) {
        const name = sheetFile(variants[i]!.code, variants[i]!.student).replace(/\.pdf$/, '.html');
        await writeAtomic(join(out, 'html', name), html.sheets[i]!);
        if (html.answerSheets) await writeAtomic(join(out, 'html', 'answer-sheets', name), html.answerSheets[i]!);
      }
      if (html.key !== undefined) await writeAtomic(join(out, 'html', 'answer-key.html'), html.key);
    }

    renderer = await launching;
    trace('rendering');
    const tick = progress(documentCount(docs), 'Rendering');
    let done = 0;
    const printed = await printClassSet(renderer, templates, docs, {
      sheet: (i, pdf) => writeAtomic(join(out, 'sheets', sheetFile(variants[i]!.code, variants[i]!.student)), pdf),
      answerSheet: (i, pdf) => writeAtomic(join(out, 'answer-sheets', sheetFile(variants[i]!.code, variants[i]!.student)), pdf),
      printed: () => tick(++done),
    });
    if (printed.answerKey) await writeAtomic(join(out, 'answer-key.pdf'), printed.answerKey);
    if (printed.answerSheets) await writeAtomic(join(out, 'answer-sheets.pdf'), printed.answerSheets);
    await writeAtomic(join(out, 'class-set.pdf'), printed.classSet);
    trace('class set written');
    const skipped = cls.rosterProblems.length ? ` (${cls.rosterProblems.length} roster ${cls.rosterProblems.length === 1 ? 'line' : 'lines'} skipped)` : '';
    const wrote = [join(out, 'class-set.pdf'), ...(answerSheets ? [`answer sheets to ${join(out, 'answer-sheets')} and ${join(out, 'answer-sheets.pdf')}`] : []), ...(printed.answerKey ? [join(out, 'answer-key.pdf')] : [])];
    process.stdout.write(`Wrote ${variants.length} worksheets to ${join(out, 'sheets')}, ${wrote.join(', ')} and ${join(out, 'key.json')}${values.html ? `, and HTML in ${join(out, 'html')}` : ''}${skipped}.\n`);
    return 0;
  } finally {
    // gradsheet exits next: Chromium's group is killed, but its renderers are not waited for
    if (renderer) await renderer.close({ waitForGroup: false });
    // failed before the browser was needed: the message goes out now, the browser once it is up
    else void launching.then((r) => r.close(), () => undefined);
  }
}
