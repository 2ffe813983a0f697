import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GradsheetError } from '../errors.js';
import { prettyJson } from '../json.js';
import { answerKey } from '../problems/key.js';
import { generateKeyVariants } from '../problems/variants.js';
import { PdfRenderer } from '../render/browser.js';
import { concatenatePdfs, keyDocuments, renderPdf, standaloneHtml, worksheetDocument } from '../render/class-set.js';
import { loadTemplates } from '../render/templates.js';
import { CLASS_OPTIONS, loadClass } from './class.js';
import { packageDir, writeAtomic } from './files.js';
import { assertDistinctCodes } from './generate.js';
import { progress } from './progress.js';

/** File names from student ids: the code first (unique), then a readable, safe form of the id. */
function sheetFile(code: string, student: string): string {
  const safe = student.normalize('NFKD').replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 40);
  return `${code}${safe ? `-${safe}` : ''}.pdf`;
}

/** `gradsheet render --bank B (--seed S [--count N] | --roster F --secret-file F) --out DIR [--html] [--paper a4|letter]` */
export async function runRender(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { ...CLASS_OPTIONS, out: { type: 'string' }, html: { type: 'boolean', default: false }, paper: { type: 'string', default: 'a4' }, 'no-key': { type: 'boolean', default: false } }, strict: true });
  const withKey = values['no-key'] !== true;
  if (!values.out) throw new GradsheetError('usage', 'render needs --out DIR, the folder to write the PDFs to.');
  const paperName = (values.paper ?? 'a4').toLowerCase();
  if (paperName !== 'a4' && paperName !== 'letter') throw new GradsheetError('usage', `--paper should be a4 or letter, not "${values.paper}".`);
  const paper = paperName === 'a4' ? 'A4' : 'Letter';
  const cls = await loadClass(values, 'render');
  for (const p of cls.rosterProblems) process.stderr.write(`gradsheet render: skipped ${p.message}\n`);
  const out = values.out;

  // Chromium starts (seconds) while the variants are drawn and the HTML is built
  const launching = PdfRenderer.launch();
  launching.catch(() => {});
  const variants = generateKeyVariants(cls.bank, cls.secret, cls.students);
  assertDistinctCodes(variants);
  await writeAtomic(join(out, 'key.json'), prettyJson(answerKey(cls.bank, variants)) + '\n');

  const templates = loadTemplates(join(packageDir(), 'templates'));
  const sheets = variants.map((v) => worksheetDocument(templates, cls.bank, v, paper));
  const key = keyDocuments(templates, cls.bank, variants, paper);
  if (values.html) {
    for (let i = 0; i < variants.length; i++) {
      const v = variants[i]!;
      await writeAtomic(join(out, 'html', sheetFile(v.code, v.student).replace(/\.pdf$/, '.html')), standaloneHtml(templates, `${cls.bank.title} — ${v.code}`, sheets[i]!.html));
    }
    const keyBody = key.cover.html + key.keys.map((k) => `<div class="page-break"></div>${k.html}`).join('');
    await writeAtomic(join(out, 'html', 'answer-key.html'), standaloneHtml(templates, `Answer key — ${cls.bank.title}`, keyBody));
  }

  const renderer = await launching;
  try {
    const tick = progress(withKey ? 2 * variants.length + 1 : variants.length, 'Rendering');
    let done = 0;
    const render = async (doc: Parameters<typeof renderPdf>[2]) => {
      const pdf = await renderPdf(renderer, templates, doc);
      tick(++done);
      return pdf;
    };
    const pdfs = await Promise.all(sheets.map(async (doc, i) => {
      const pdf = await render(doc);
      await writeAtomic(join(out, 'sheets', sheetFile(variants[i]!.code, variants[i]!.student)), pdf);
      return pdf;
    }));
    if (withKey) {
      const keyPdfs = await Promise.all([key.cover, ...key.keys].map(render));
      await writeAtomic(join(out, 'answer-key.pdf'), await concatenatePdfs(keyPdfs));
    }
    await writeAtomic(join(out, 'class-set.pdf'), await concatenatePdfs(pdfs));
  } finally {
    await renderer.close();
  }
  const skipped = cls.rosterProblems.length ? ` (${cls.rosterProblems.length} roster ${cls.rosterProblems.length === 1 ? 'line' : 'lines'} skipped)` : '';
  process.stdout.write(`Wrote ${variants.length} worksheets to ${join(out, 'sheets')}, ${join(out, 'class-set.pdf')}, ${withKey ? `${join(out, 'answer-key.pdf')} ` : ''}and ${join(out, 'key.json')}${values.html ? `, and HTML in ${join(out, 'html')}` : ''}${skipped}.\n`);
  return 0;
}
