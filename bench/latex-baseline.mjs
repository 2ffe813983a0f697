/**
 * The render benchmark's baseline, measured on this machine when pdflatex is installed
 * (`apt-get install texlive-latex-base`): the same 30 worksheets as amsmath documents, one per
 * student, compiled two at a time (`xargs -P2`), as the worksheets issue describes it. Each
 * document carries what gradsheet's sheet carries: the title, the name table, the instructions,
 * every question's text with its inline math, the given values as displayed math, and every part
 * with its prompt and an answer box (a grid for a vector or matrix), with the student's name and
 * code in the running head. Built from the same key variants (gradsheet's bundle in dist/), so
 * the numbers are the same as well.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Whether pdflatex can be run here. */
export function hasPdflatex() {
  return spawnSync('pdflatex', ['--version'], { encoding: 'utf8' }).status === 0;
}

const escapeText = (s) => s.replace(/[\\{}$&#%_^~]/g, (c) => ({ '\\': '\\textbackslash{}', '^': '\\textasciicircum{}', '~': '\\textasciitilde{}' })[c] ?? `\\${c}`);

/** Rich text ($…$ math in plain text, \$ a dollar) as LaTeX. */
function rich(source) {
  let out = '', i = 0;
  while (i < source.length) {
    if (source[i] === '\\' && source[i + 1] === '$') { out += '\\$'; i += 2; continue; }
    if (source[i] === '$') {
      let j = i + 1;
      while (j < source.length && !(source[j] === '$' && source[j - 1] !== '\\')) j++;
      out += `$${source.slice(i + 1, j)}$`;
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < source.length && source[j] !== '$' && !(source[j] === '\\' && source[j + 1] === '$')) j++;
    out += escapeText(source.slice(i, j));
    i = j;
  }
  return out;
}

function box(answer) {
  const cell = '\\rule{0pt}{8mm}\\hspace{24mm}';
  if (typeof answer === 'number') return `\\fbox{\\rule{0pt}{8mm}\\hspace{36mm}}`;
  const rows = Array.isArray(answer[0]) ? answer : answer.map((x) => [x]);
  const cols = rows[0].length;
  return `\\begin{tabular}{|${'c|'.repeat(cols)}}\\hline\n${rows.map(() => `${Array(cols).fill(cell).join(' & ')} \\\\ \\hline`).join('\n')}\n\\end{tabular}`;
}

/** One student's worksheet as a LaTeX document. */
export function worksheetTex(g, bank, variant) {
  const questions = variant.questions.map((q, n) => {
    const built = g.problemType(q.type).build(q.instance, q.params, { digits: bank.digits });
    const points = q.parts.reduce((a, p) => a + p.points, 0);
    const parts = q.parts.map((p, k) => {
      const spec = built.parts[k];
      const answer = typeof p.answer === 'string'
        ? (p.choices ?? []).map((c) => `$\\square$ ${escapeText(c)}`).join('\\qquad ')
        : box(p.answer);
      return `\\paragraph{(${escapeText(spec.key)})} ${rich(spec.prompt)} {\\small[${p.points}]}\n\n\\nopagebreak\\medskip\\noindent\\hspace*{6mm}${answer}\n\\bigskip`;
    });
    // the question's text and given values are kept together, as the sheet's CSS keeps them
    return `\\par\\bigskip\\noindent\\begin{minipage}{\\linewidth}\n\\section*{${n + 1}. ${escapeText(q.title)} {\\normalsize (${points} points)}}\n${rich(built.intro)}\n\n\\smallskip\n` +
      `${built.given().map((line) => `\\noindent\\hspace*{4mm}$\\displaystyle ${line}$\\par`).join('\n')}\n\\end{minipage}\n\n${parts.join('\n\n')}\n`;
  });
  const total = variant.questions.reduce((a, q) => a + q.parts.reduce((b, p) => b + p.points, 0), 0);
  return `\\documentclass[a4paper,10pt]{article}
\\usepackage[margin=14mm,top=17mm]{geometry}
\\usepackage{amsmath,amssymb}
\\pagestyle{myheadings}
\\markright{${escapeText(bank.course ?? '')} · ${escapeText(bank.title)} \\hfill ${escapeText(variant.name)} · ${variant.code}}
\\begin{document}
{\\LARGE\\bfseries ${escapeText(bank.title)}}\\par\\medskip
\\begin{tabular}{llll}
Name & ${escapeText(variant.name)} & Worksheet & \\texttt{${variant.code}} \\\\ \\hline
Student & ${escapeText(variant.student)} & Points & ${total} \\\\ \\hline
\\end{tabular}\\par\\medskip
{\\small Write each answer in its box, to ${bank.digits} significant figures (a vector or matrix entry by entry). Keep your working on the sheet. Submit your answers with the worksheet code \\texttt{${variant.code}}.}
${questions.join('\n')}
\\end{document}
`;
}

/**
 * Writes the class set's worksheets as .tex files and times `xargs -P2 pdflatex` over them.
 * Returns the seconds and the pages of each PDF.
 */
export async function timeLatexClassSet(bankFile, students, seed) {
  const g = await import(join(root, 'dist', 'index.js'));
  const bank = g.parseBank(JSON.parse(readFileSync(join(root, bankFile), 'utf8')));
  const variants = g.generateKeyVariants(bank, g.practiceSecret(String(seed)), g.practiceStudents(students).map((id) => ({ id, name: id })));
  const dir = mkdtempSync(join(tmpdir(), 'gradsheet-latex-bench-'));
  try {
    variants.forEach((v, i) => writeFileSync(join(dir, `sheet-${String(i + 1).padStart(2, '0')}.tex`), worksheetTex(g, bank, v)));
    const files = readdirSync(dir).filter((f) => f.endsWith('.tex')).join('\n');
    const start = performance.now();
    const r = spawnSync('xargs', ['-P2', '-n1', 'pdflatex', '-interaction=batchmode', '-halt-on-error'], { cwd: dir, input: files, encoding: 'utf8' });
    const seconds = (performance.now() - start) / 1000;
    if (r.status !== 0) throw new Error(`pdflatex failed (see ${dir}): ${r.stdout.slice(-400)}`);
    const pages = readdirSync(dir).filter((f) => f.endsWith('.pdf')).map((f) => Number(/Pages:\s+(\d+)/.exec(spawnSync('pdfinfo', [join(dir, f)], { encoding: 'utf8' }).stdout)?.[1] ?? NaN));
    return { seconds, pages };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
