/**
 * The LTI tool's own pages, built on the server (no script of the page's own beyond the Deep
 * Linking response's one line, under a nonce): the failed launch, the instructor's choice of bank,
 * the auto-submitting Deep Linking response and the teacher view of a resource link. Every value
 * is escaped; each page states its own Content-Security-Policy.
 */
import { randomBytes } from 'node:crypto';
import { escapeHtml as esc } from '../../html.js';

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fafafa}main{max-width:52rem;margin:0 auto;padding:1.5rem}
h1{font-size:1.5rem;margin:.2rem 0 1rem}.card{background:#fff;border:1px solid #d0d0d0;border-radius:6px;padding:1rem 1.2rem;margin:0 0 1rem}
table{border-collapse:collapse;width:100%;background:#fff}th,td{border:1px solid #d0d0d0;padding:.35rem .5rem;text-align:left;vertical-align:top}th{background:#f0f0f0}
td.num{text-align:right;font-variant-numeric:tabular-nums}button{font:inherit;padding:.45rem 1rem;border-radius:4px;border:1px solid #1a4f8b;background:#1a5fb4;color:#fff;cursor:pointer}
label{display:block;padding:.3rem 0}fieldset{border:0;margin:0;padding:0;min-width:0}legend{padding:0;margin:0 0 .4rem}.card>:first-child{margin-top:0}.error{color:#a51d2d}.muted{color:#555}.actions{display:flex;gap:.6rem;flex-wrap:wrap;margin:.6rem 0}form{margin:0}code{font-size:.95em}`;

export interface HtmlPage {
  status: number;
  html: string;
  csp: string;
}

/** The CSP of an LTI page: nothing loaded but its own style, forms only where they go, framed by the platforms. */
function csp(frameAncestors: string, formAction: string, scriptNonce?: string): string {
  return `default-src 'none'; style-src 'unsafe-inline'; img-src data:; ${scriptNonce ? `script-src 'nonce-${scriptNonce}'; ` : ''}form-action ${formAction}; base-uri 'none'; frame-ancestors ${frameAncestors}`;
}

function shell(title: string, body: string, lang = 'en', head = ''): string {
  return `<!DOCTYPE html>\n<html lang="${lang}">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>${esc(title)} — gradsheet</title>\n<style>${STYLE}</style>\n${head}</head>\n<body>\n<main>\n${body}\n</main>\n</body>\n</html>\n`;
}

/** A launch that failed: its status and the sentence naming what failed. */
export function errorPage(status: number, sentence: string, frameAncestors: string): HtmlPage {
  const title = status === 401 ? 'This launch could not be verified' : status === 403 ? 'This launch is not allowed' : status === 404 ? 'Not found' : 'This launch failed';
  return { status, csp: csp(frameAncestors, "'none'"), html: shell(title, `<h1>${esc(title)}</h1>\n<div class="card" role="alert"><p class="error">${esc(sentence)}</p><p class="muted">Nothing was recorded. Open the assignment again from your course; if this keeps happening, tell your teacher what this page says.</p></div>`) };
}

/** The instructor's choice of bank for a Deep Linking request: a form posting `bank` and the signed request to /lti/deep-link. */
export function deepLinkPage(banks: readonly { id: string; title: string; points: number; questions: number }[], context: string, defaultBank: string, frameAncestors: string): HtmlPage {
  const options = banks.map((b) => `<label><input type="radio" name="bank" value="${esc(b.id)}"${b.id === defaultBank ? ' checked' : ''} required> <strong>${esc(b.title)}</strong> <span class="muted">(${esc(b.id)}: ${b.questions} question${b.questions === 1 ? '' : 's'}, ${b.points} point${b.points === 1 ? '' : 's'})</span></label>`).join('\n');
  return {
    status: 200, csp: csp(frameAncestors, "'self'"),
    html: shell('Choose a question bank', `<h1>Choose a question bank</h1>\n<form class="card" method="post" action="/lti/deep-link">\n<fieldset><legend>Each student gets their own variant of the bank you choose; scores go to the course's gradebook.</legend>\n${options}\n</fieldset>\n<input type="hidden" name="context" value="${esc(context)}">\n<div class="actions"><button type="submit">Add this assignment</button></div>\n</form>`),
  };
}

/** The Deep Linking response: a form that posts the signed JWT to the platform's return URL by itself (a button where scripts do not run). */
export function autoSubmitPage(returnUrl: string, jwt: string, frameAncestors: string): HtmlPage {
  const nonce = randomBytes(12).toString('base64');
  const origin = new URL(returnUrl).origin;
  return {
    status: 200, csp: csp(frameAncestors, origin, nonce),
    html: shell('Returning to your course', `<h1>Returning to your course…</h1>\n<form id="return" class="card" method="post" action="${esc(returnUrl)}">\n<input type="hidden" name="JWT" value="${esc(jwt)}">\n<p>The assignment was chosen. If your course does not open by itself, continue:</p>\n<button type="submit">Continue</button>\n</form>\n<script nonce="${nonce}">document.getElementById('return').submit();</script>`),
  };
}

export interface TeacherRow { name: string | null; student: string; worksheet: string; attempts: number; counted: number | null; max: number | null; late: boolean; passback: string }

/** The teacher view of a resource link: who launched it, their attempts and counted scores, what reached the platform; the gradebook and key to download. */
export function teacherPage(o: { title: string; bankTitle: string; bank: string; policy: string; rows: TeacherRow[]; session: string; lineitem: string | null; frameAncestors: string }): HtmlPage {
  const rows = o.rows.map((r) => `<tr><td>${esc(r.name ?? '—')}</td><td><code>${esc(r.student)}</code></td><td><code>${esc(r.worksheet)}</code></td><td class="num">${r.attempts}</td><td class="num">${r.counted === null ? '—' : `${r.counted} / ${r.max}`}${r.late ? ' (late)' : ''}</td><td>${esc(r.passback)}</td></tr>`).join('\n');
  const download = (action: string, label: string) => `<form method="post" action="${action}"><input type="hidden" name="session" value="${esc(o.session)}"><button type="submit">${label}</button></form>`;
  return {
    status: 200, csp: csp(o.frameAncestors, "'self'"),
    html: shell(`Teacher view: ${o.title}`, `<h1>Teacher view: ${esc(o.title)}</h1>
<div class="card"><p>Bank <strong>${esc(o.bankTitle)}</strong> (<code>${esc(o.bank)}</code>). ${esc(o.policy)}.</p>
<p class="muted">${o.lineitem ? 'Scores go to the course gradebook\'s line item for this link.' : 'The line item for this link is created with the first score.'} A score is posted when a student's counted score changes.</p>
<div class="actions">${download('/lti/teacher/gradebook.csv', 'Download the gradebook (CSV)')}${download('/lti/teacher/key', 'Download the answer key (JSON)')}</div></div>
<h2>Submissions</h2>
${o.rows.length === 0 ? '<p class="card">No student has opened this assignment yet.</p>' : `<table><caption class="muted">${o.rows.length} student${o.rows.length === 1 ? '' : 's'} launched this assignment</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Student id</th><th scope="col">Worksheet</th><th scope="col">Attempts</th><th scope="col">Counted score</th><th scope="col">Sent to the course</th></tr></thead>
<tbody>
${rows}
</tbody></table>`}`),
  };
}
