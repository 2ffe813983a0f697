// The self-check page: open a worksheet by its code, answer, and read the grader's feedback.
// Question text arrives as KaTeX HTML rendered by the server (its own output, from its own
// problem types); everything the student typed is sent as data and never inserted as HTML.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const openForm = $('open'), sheet = $('sheet'), questions = $('questions');
  let current = null;

  function say(el, text, isError) {
    el.textContent = text;
    el.classList.toggle('error', Boolean(isError));
  }

  function html(tag, attrs, children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'text') el.textContent = v;
      else if (k === 'trustedHtml') el.innerHTML = v; // server-rendered KaTeX only
      else el.setAttribute(k, v);
    }
    for (const c of children || []) el.append(c);
    return el;
  }

  function inputsFor(part) {
    const label = part.id.split('.')[1];
    if (part.kind === 'choice') {
      const set = html('fieldset', { class: 'choices' }, [html('legend', { class: 'sr-only', text: `Answer (${label})` })]);
      part.choices.forEach((c, i) => {
        const id = `${part.id}-c${i}`;
        // the label shows the choice typeset (server-made KaTeX, hidden from screen readers, so the
        // radio is named by the plain choice); the value sent is the plain choice
        const radio = html('input', { type: 'radio', name: part.id, id, value: c, ...(part.choicesHtml ? { 'aria-label': c } : {}) });
        const shown = part.choicesHtml ? html('span', { trustedHtml: part.choicesHtml[i] }) : document.createTextNode(c);
        set.append(html('label', { for: id }, [radio, document.createTextNode(' '), shown]));
      });
      return set;
    }
    const rows = part.shape.length === 0 ? 1 : part.shape[0];
    const cols = part.shape.length === 2 ? part.shape[1] : 1;
    const grid = html('div', { class: 'grid', role: 'group', 'aria-label': `Answer (${label})${part.shape.length ? `, ${rows}×${cols}` : ''}` });
    grid.style.gridTemplateColumns = `repeat(${cols}, auto)`;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const name = part.shape.length === 0 ? `(${label})` : part.shape.length === 1 ? `(${label}) entry ${r + 1}` : `(${label}) row ${r + 1}, column ${c + 1}`;
        grid.append(html('input', { inputmode: 'decimal', autocomplete: 'off', 'aria-label': name, 'data-part': part.id, 'data-r': r, 'data-c': c }));
      }
    }
    return grid;
  }

  function showWorksheet(w) {
    current = w;
    questions.replaceChildren();
    if (w.acceptance) questions.append(html('p', { class: 'instructions', text: w.acceptance }));
    for (const q of w.questions) {
      const section = html('section', { class: 'question', 'aria-labelledby': `h-${q.id}` }, [
        // the title typeset (KaTeX is hidden from screen readers: they read the plain title)
        html('h2', { id: `h-${q.id}`, 'aria-label': `${q.id.toUpperCase()}. ${q.title}` }, [`${q.id.toUpperCase()}. `, q.titleHtml ? html('span', { trustedHtml: q.titleHtml }) : q.title]),
        html('div', { class: 'intro', trustedHtml: q.introHtml }),
      ]);
      const given = html('div', { class: 'given' });
      for (const line of q.givenHtml) given.append(html('div', { trustedHtml: line }));
      section.append(given);
      for (const p of q.parts) {
        const label = p.id.split('.')[1];
        const promptId = `p-${p.id}`;
        const box = html('div', { class: 'part', id: `part-${p.id}` }, [
          html('div', { id: promptId }, [html('span', { class: 'part-label', text: `(${label}) ` }), html('span', { trustedHtml: p.promptHtml }), html('span', { class: 'points', text: ` [${p.points}]` }), ...(p.accept ? [html('span', { class: 'accept', text: ` (${p.accept})` })] : [])]),
          inputsFor(p),
          html('div', { class: 'feedback', id: `fb-${p.id}`, role: 'status', 'aria-live': 'polite', hidden: '' }),
        ]);
        section.append(box);
      }
      questions.append(section);
    }
    sheet.hidden = false;
    const first = questions.querySelector('input');
    if (first) first.focus();
  }

  function collect() {
    const answers = {};
    for (const q of current.questions) for (const p of q.parts) {
      if (p.kind === 'choice') {
        const picked = sheet.querySelector(`input[name="${CSS.escape(p.id)}"]:checked`);
        answers[p.id] = picked ? picked.value : null;
        continue;
      }
      const cells = [...sheet.querySelectorAll(`input[data-part="${CSS.escape(p.id)}"]`)].map((i) => i.value.trim());
      if (cells.every((v) => v === '')) { answers[p.id] = null; continue; }
      if (p.shape.length === 0) answers[p.id] = cells[0];
      else if (p.shape.length === 1) answers[p.id] = cells;
      else answers[p.id] = Array.from({ length: p.shape[0] }, (_, r) => cells.slice(r * p.shape[1], (r + 1) * p.shape[1]));
    }
    return answers;
  }

  async function problemText(res) {
    try { const p = await res.json(); return p.detail || `Error ${res.status}`; } catch { return `Error ${res.status}`; }
  }

  openForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const code = $('code').value.trim();
    if (!code) return say($('open-status'), 'Type your worksheet code first.', true);
    say($('open-status'), 'Opening…');
    const res = await fetch(`/api/v1/worksheets/${encodeURIComponent(code)}`);
    if (!res.ok) return say($('open-status'), await problemText(res), true);
    const w = await res.json();
    say($('open-status'), `Worksheet ${w.code}: ${w.questions.length} questions.`);
    showWorksheet(w);
  });

  sheet.addEventListener('submit', async (e) => {
    e.preventDefault();
    const student = $('student').value.trim();
    // the submission schema requires the student id: say so here rather than send a submission the server refuses
    if (!student) return say($('score'), 'Type your student id (above, beside the worksheet code) first.', true);
    say($('score'), 'Checking…');
    const body = { format: 'gradsheet.submission/1', worksheet: current.code, student, answers: collect() };
    const res = await fetch('/api/v1/grade', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!res.ok) return say($('score'), await problemText(res), true);
    const result = await res.json();
    for (const p of result.parts) {
      const fb = $(`fb-${p.id}`);
      if (!fb) continue;
      fb.hidden = false;
      fb.className = `feedback ${p.status}`;
      fb.textContent = `${p.status} (${p.score}/${p.max}): ${p.feedback}`;
    }
    say($('score'), `Score: ${result.score} / ${result.max}`);
  });
})();
