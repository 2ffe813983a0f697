// The self-check page: open a worksheet by its code, answer, and read the grader's feedback.
// Question text arrives as KaTeX HTML rendered by the server (its own output, from its own
// problem types); everything the student typed is sent as data and never inserted as HTML.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const openForm = $('open'), sheet = $('sheet'), questions = $('questions');
  let current = null;
  // Launched from a course (LTI): the launch put a session in the page; every request carries it
  // (no cookie: an LMS frame blocks third-party cookies), and the worksheet is the session's own.
  const sessionMeta = document.querySelector('meta[name="gradsheet-session"]');
  const SESSION = sessionMeta ? sessionMeta.getAttribute('content') : null;
  const call = (url, options) => {
    if (!SESSION) return fetch(url, options);
    const o = options || {};
    return fetch(url, { ...o, headers: { ...(o.headers || {}), authorization: `Bearer ${SESSION}` } });
  };

  // Drafts: the answers typed are kept on this device (localStorage), per worksheet code, so a
  // reload, a closed tab or opening the same worksheet again loses nothing. Only "Clear my answers"
  // removes them. Without storage (private mode, blocked) the page works as before.
  const store = (() => {
    try { const s = window.localStorage; s.setItem('gradsheet.probe', '1'); s.removeItem('gradsheet.probe'); return s; } catch { return null; }
  })();
  const DRAFT = (code) => `gradsheet.draft.${code}`;
  const get = (k) => { try { return store ? store.getItem(k) : null; } catch { return null; } };
  const set = (k, v) => { try { if (store) store.setItem(k, v); } catch { /* full or blocked: the page still works */ } };
  const remove = (k) => { try { if (store) store.removeItem(k); } catch { /* as above */ } };

  /** what each grader status says to a student */
  const WORDS = { correct: 'Correct', partial: 'Partly right', incorrect: 'Not right yet', missing: 'No answer', invalid: 'Could not read' };

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
    // the accessible name says what is asked: the prompt as plain text (the server's titleText)
    const asked = part.promptText ? `Part (${label}): ${part.promptText}` : `Part (${label})`;
    if (part.kind === 'choice') {
      const set = html('fieldset', { class: 'choices' }, [html('legend', { class: 'sr-only', text: asked })]);
      part.choices.forEach((c, i) => {
        const id = `${part.id}-c${i}`;
        // the label shows the choice typeset (server-made KaTeX, hidden from screen readers, so the
        // radio is named by the plain choice); the value sent is the plain choice
        const radio = html('input', { type: 'radio', name: part.id, id, value: c, 'aria-describedby': `fb-${part.id}`, ...(part.choicesHtml ? { 'aria-label': c } : {}) });
        const shown = part.choicesHtml ? html('span', { trustedHtml: part.choicesHtml[i] }) : document.createTextNode(c);
        set.append(html('label', { for: id }, [radio, document.createTextNode(' '), shown]));
      });
      return set;
    }
    if (part.kind === 'expression') {
      // a formula, typed in one line; the server reads it back typeset as the student types
      const input = html('input', { class: 'formula-input', autocomplete: 'off', spellcheck: 'false', autocapitalize: 'off', 'aria-label': asked, 'aria-describedby': `fs-${part.id} pv-${part.id} fb-${part.id}`, 'data-part': part.id, 'data-r': 0, 'data-c': 0 });
      const preview = html('div', { class: 'formula-preview', id: `pv-${part.id}`, 'aria-live': 'polite' });
      let timer = 0;
      input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(() => previewFormula(part, input, preview), 300); });
      return html('div', { class: 'formula' }, [
        input,
        html('p', { class: 'formula-symbols', id: `fs-${part.id}` }, [document.createTextNode('A formula in '), html('span', { trustedHtml: part.symbolsHtml }), document.createTextNode('. Write products with * (or a space) and powers with ^, as in 2*(1 - a^2).')]),
        preview,
      ]);
    }
    const rows = part.shape.length === 0 ? 1 : part.shape[0];
    const cols = part.shape.length === 2 ? part.shape[1] : 1;
    const grid = html('div', { class: 'grid', role: 'group', 'aria-label': `Answer to part (${label})${part.shape.length === 1 ? `, ${rows} entries` : part.shape.length === 2 ? `, ${rows}×${cols} matrix` : ''}` });
    grid.style.gridTemplateColumns = `repeat(${cols}, minmax(3.2em, 8.5em))`;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const name = part.shape.length === 0 ? asked : part.shape.length === 1 ? `${asked}; entry ${r + 1} of ${rows}` : `${asked}; row ${r + 1}, column ${c + 1}`;
        grid.append(html('input', { inputmode: 'decimal', autocomplete: 'off', spellcheck: 'false', 'aria-label': name, 'aria-describedby': `fb-${part.id}`, 'data-part': part.id, 'data-r': r, 'data-c': c }));
      }
    }
    return grid;
  }

  /** the formula as the server reads it, typeset, or the sentence saying what it cannot read */
  async function previewFormula(part, input, preview) {
    const formula = input.value.trim();
    if (!formula) { preview.replaceChildren(); return; }
    let res;
    try { res = await call('/api/v1/formula-preview', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ formula, symbols: part.symbols }) }); } catch { return; }
    if (input.value.trim() !== formula) return;
    const r = res.ok ? await res.json() : { ok: false, detail: await problemText(res) };
    preview.classList.toggle('unread', !r.ok);
    preview.replaceChildren(r.ok ? html('span', {}, [document.createTextNode('Reads as: '), html('span', { trustedHtml: r.html })]) : html('span', { text: r.detail }));
  }
  function refreshPreviews() {
    if (!current) return;
    for (const q of current.questions) for (const p of q.parts) {
      if (p.kind !== 'expression') continue;
      const input = sheet.querySelector(`input[data-part="${CSS.escape(p.id)}"]`);
      const preview = document.getElementById(`pv-${p.id}`);
      if (input && preview && input.value.trim()) previewFormula(p, input, preview);
    }
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
      for (const line of q.givenHtml) given.append(html('div', { class: 'given-line', trustedHtml: line }));
      section.append(given);
      for (const p of q.parts) {
        const label = p.id.split('.')[1];
        const promptId = `p-${p.id}`;
        const box = html('div', { class: 'part', id: `part-${p.id}` }, [
          html('div', { id: promptId }, [html('span', { class: 'part-label', text: `(${label}) ` }), html('span', { trustedHtml: p.promptHtml }), html('span', { class: 'points', text: ` [${p.points}]` }), ...(p.accept ? [html('span', { class: 'accept', text: ` (${p.accept})` })] : [])]),
          inputsFor(p),
          html('div', { class: 'feedback', id: `fb-${p.id}`, hidden: '' }),
        ]);
        section.append(box);
      }
      questions.append(section);
    }
    sheet.hidden = false;
    markWideFormulas();
  }

  // A given line wraps (white-space: normal in app.css); one that still cannot fit (a matrix)
  // scrolls inside its own box, with a fade at the side and a name that says so, reachable by Tab.
  function markWideFormulas() {
    for (const line of questions.querySelectorAll('.given-line')) {
      const wide = line.scrollWidth > line.clientWidth + 1;
      line.classList.toggle('scrolls', wide);
      if (wide) {
        line.setAttribute('tabindex', '0');
        line.setAttribute('role', 'region');
        line.setAttribute('aria-label', 'formula, scrolls sideways');
      } else {
        for (const a of ['tabindex', 'role', 'aria-label']) line.removeAttribute(a);
      }
    }
  }
  let resizeTimer = 0;
  window.addEventListener('resize', () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(markWideFormulas, 100); });
  if (document.fonts && document.fonts.ready) document.fonts.ready.then(() => { if (current) markWideFormulas(); });

  /** every answer box's value, by part id and cell ("q1.a|0|0"), and the picked choices */
  function saveDraft() {
    if (!current) return;
    const values = {};
    for (const i of sheet.querySelectorAll('input[data-part]')) if (i.value !== '') values[`${i.dataset.part}|${i.dataset.r}|${i.dataset.c}`] = i.value;
    for (const i of sheet.querySelectorAll('input[type=radio]:checked')) values[i.name] = i.value;
    if (Object.keys(values).length === 0) remove(DRAFT(current.code));
    else set(DRAFT(current.code), JSON.stringify({ saved: Date.now(), values }));
  }

  /** puts a saved draft back into the boxes; how many answers it held */
  function restoreDraft(code) {
    let draft = null;
    try { draft = JSON.parse(get(DRAFT(code)) || 'null'); } catch { draft = null; }
    if (!draft || typeof draft.values !== 'object' || draft.values === null) return 0;
    let n = 0;
    for (const i of sheet.querySelectorAll('input[data-part]')) {
      const v = draft.values[`${i.dataset.part}|${i.dataset.r}|${i.dataset.c}`];
      if (typeof v === 'string') { i.value = v; n++; }
    }
    for (const i of sheet.querySelectorAll('input[type=radio]')) {
      if (draft.values[i.name] === i.value) { i.checked = true; n++; }
    }
    return n;
  }

  function clearFeedback() {
    for (const fb of sheet.querySelectorAll('.feedback')) { fb.hidden = true; fb.textContent = ''; fb.className = 'feedback'; }
    $('score').replaceChildren();
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

  /**
   * Opens a worksheet. The same worksheet again (Enter in the code or student box) keeps every
   * answer; another one is opened with its own draft, if this device has one.
   */
  async function openWorksheet(code, quiet) {
    if (!code) return say($('open-status'), 'Type your worksheet code first.', true);
    const student = $('student').value.trim();
    if (!student) return say($('open-status'), 'Type your student id too: the code opens only with the id it was issued to.', true);
    say($('open-status'), 'Opening…');
    let res;
    try { res = await call(`/api/v1/worksheets/${encodeURIComponent(code)}?student=${encodeURIComponent(student)}`); } catch { return say($('open-status'), 'The server cannot be reached; your answers are kept on this device.', true); }
    if (!res.ok) return say($('open-status'), await problemText(res), true);
    const w = await res.json();
    if (current && current.code === w.code) {
      say($('open-status'), `Worksheet ${w.code} is open; your answers are kept.`);
      loadAttempts();
      return;
    }
    saveDraft();
    showWorksheet(w);
    set('gradsheet.last', w.code);
    const restored = restoreDraft(w.code);
    refreshPreviews();
    assignmentOpened();
    say($('open-status'), `Worksheet ${w.code}: ${w.questions.length} questions.${restored ? ` Your ${restored === 1 ? 'answer' : `${restored} answers`} saved on this device ${restored === 1 ? 'is' : 'are'} back.` : ''}`);
    if (!quiet) { const first = questions.querySelector('input'); if (first) first.focus(); }
  }

  openForm.addEventListener('submit', (e) => {
    e.preventDefault();
    openWorksheet($('code').value.trim(), false);
  });
  $('student').addEventListener('input', () => set('gradsheet.student', $('student').value));
  sheet.addEventListener('input', saveDraft);
  sheet.addEventListener('change', saveDraft);
  window.addEventListener('pagehide', saveDraft);

  $('clear').addEventListener('click', () => {
    if (!current) return;
    if (!window.confirm(`Clear every answer on worksheet ${current.code}? They are removed from this device too.`)) return;
    for (const i of sheet.querySelectorAll('input[data-part]')) i.value = '';
    for (const i of sheet.querySelectorAll('input[type=radio]')) i.checked = false;
    remove(DRAFT(current.code));
    clearFeedback();
    say($('open-status'), `Your answers on worksheet ${current.code} are cleared.`);
    const first = questions.querySelector('input');
    if (first) first.focus();
  });

  // the summary's links go to the part's first answer box
  $('score').addEventListener('click', (e) => {
    const a = e.target.closest && e.target.closest('a[data-part]');
    if (!a) return;
    e.preventDefault();
    const box = document.getElementById(`part-${a.dataset.part}`);
    if (!box) return;
    box.scrollIntoView({ block: 'center' });
    const input = box.querySelector('input');
    if (input) input.focus();
  });

  /** the score and what needs attention, focused so a screen reader reads it at once */
  function showScore(nodes, isError) {
    const score = $('score');
    score.replaceChildren(...nodes);
    score.classList.toggle('error', Boolean(isError));
    score.focus();
  }

  /** Each part's feedback beside it; the score and the links to the parts needing attention. */
  function resultNodes(result) {
    const attention = [];
    for (const p of result.parts) {
      const fb = $(`fb-${p.id}`);
      if (!fb) continue;
      fb.hidden = false;
      fb.className = `feedback ${p.status}`;
      const word = WORDS[p.status] || p.status;
      // the feedback typeset by the server (its own KaTeX, everything else escaped) when it sent it
      const said = p.feedbackHtml ? html('span', { trustedHtml: p.feedbackHtml }) : p.feedback;
      fb.replaceChildren(html('strong', { text: word }), ` (${p.score} of ${p.max} ${p.max === 1 ? 'point' : 'points'}): `, said);
      if (p.status !== 'correct') attention.push(p);
    }
    const nodes = [html('p', { text: `Score: ${result.score} / ${result.max}` })];
    if (attention.length) {
      nodes.push(html('p', { text: `${attention.length} ${attention.length === 1 ? 'part needs' : 'parts need'} attention:` }));
      nodes.push(html('ul', { class: 'attention' }, attention.map((p) => {
        const [q, label] = p.id.split('.');
        return html('li', {}, [html('a', { href: `#part-${p.id}`, 'data-part': p.id, text: `${q.toUpperCase()} (${label}): ${WORDS[p.status] || p.status}` })]);
      })));
    } else nodes.push(html('p', { text: 'Every part is right.' }));
    return nodes;
  }

  /** the headers of both posts: the server records that the page sent them */
  const POST_HEADERS = { 'content-type': 'application/json', 'x-gradsheet-client': 'page' };

  sheet.addEventListener('submit', async (e) => {
    e.preventDefault();
    saveDraft();
    const student = $('student').value.trim();
    // the submission schema requires the student id: say so here rather than send a submission the server refuses
    if (!student) return showScore([html('p', { text: 'Type your student id (above, beside the worksheet code) first.' })], true);
    showScore([html('p', { text: 'Checking…' })]);
    const body = { format: 'gradsheet.submission/1', worksheet: current.code, student, answers: collect() };
    let res;
    try { res = await call('/api/v1/grade', { method: 'POST', headers: POST_HEADERS, body: JSON.stringify(body) }); } catch { return showScore([html('p', { text: 'The server cannot be reached; your answers are kept on this device. Try again in a moment.' })], true); }
    if (!res.ok) return showScore([html('p', { text: await problemText(res) })], true);
    showScore(resultNodes(await res.json()));
  });

  // ---- Submitting for credit ----------------------------------------------------------------
  // A check is not an attempt; a submission is. The assignment (from the worksheet) says how many
  // attempts there are, which counts and when it is due; the student's own attempts come from the
  // server once a worksheet is open and the student id is filled in. Nothing here clears a draft.

  /** the student's attempts as last loaded: { code, student, attempts, attemptsLeft } or { code, student, error, forbidden } */
  let attemptsState = null;
  let submitting = false;
  let dueTimer = 0;

  /** a time in the student's own time zone, with the zone named */
  function localTime(iso, seconds) {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return iso;
    return d.toLocaleString(undefined, { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', ...(seconds ? { second: '2-digit' } : {}), timeZoneName: 'short' });
  }
  const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;
  const assignment = () => (current && current.assignment) || null;
  const duePassed = (a) => Boolean(a && a.due) && Date.now() > Date.parse(a.due);
  const closed = (a) => duePassed(a) && a.late === 'refuse';
  const attemptsFor = () => (attemptsState && current && attemptsState.code === current.code && attemptsState.student === $('student').value.trim() ? attemptsState : null);

  /** why the student cannot submit now, or '' */
  function submitBlocked() {
    const a = assignment();
    if (!a || !a.stores) return '';
    if (closed(a)) return `The due time (${localTime(a.due)}) has passed; submissions are closed.`;
    const known = attemptsFor();
    if (known && known.forbidden) return known.error;
    if (known && known.attemptsLeft === 0) return `You have used all ${plural(a.maxAttempts, 'attempt', 'attempts')} for this worksheet; no more submissions are taken.`;
    return '';
  }

  function updateSubmit() {
    const reason = submitBlocked();
    const button = $('submit-credit');
    // a server that keeps no submissions (a self-check only) has nothing to submit to
    const a = assignment();
    button.hidden = !a || !a.stores;
    button.disabled = submitting || reason !== '';
    say($('submit-reason'), reason);
    renderAttempts();
  }

  /** "Attempts used: 1 of 3 · the last counts · due …", and the past attempts */
  function renderAttempts() {
    const a = assignment();
    const section = $('attempts');
    section.hidden = !a || !a.stores;
    if (section.hidden) return;
    const known = attemptsFor();
    const used = known && !known.error ? known.attempts.length : null;
    const parts = [];
    if (used === null) parts.push(a.maxAttempts === null ? 'Unlimited attempts' : `${plural(a.maxAttempts, 'attempt', 'attempts')} allowed`);
    else parts.push(a.maxAttempts === null ? `Attempts used: ${used} (unlimited)` : `Attempts used: ${used} of ${a.maxAttempts}`);
    parts.push(`the ${a.counts} counts`);
    if (!a.due) parts.push('no due time');
    else if (closed(a)) parts.push(`was due ${localTime(a.due)}; submissions are closed`);
    else if (duePassed(a)) parts.push(`was due ${localTime(a.due)}; submissions now are recorded as late`);
    else parts.push(`due ${localTime(a.due)}`);
    $('attempts-summary').textContent = parts.join(' · ');
    const list = $('attempts-list');
    if (used) {
      list.replaceChildren(...known.attempts.map((t) => html('li', {}, [
        html('span', { class: 'what', text: `Attempt ${t.attempt}: ${t.score} / ${t.max}${t.late ? ' (late)' : ''}` }),
        html('span', { class: 'when', text: `, received ${localTime(t.receivedAt)}` }),
      ])));
      list.hidden = false;
    } else { list.replaceChildren(); list.hidden = true; }
  }

  /** loads the student's attempts at the open worksheet (when the student id is filled in) */
  async function loadAttempts() {
    const a = assignment();
    if (!a || !a.stores) return updateSubmit();
    const code = current.code, student = $('student').value.trim();
    if (!student) { attemptsState = null; say($('attempts-status'), 'Type your student id to see your attempts.'); return updateSubmit(); }
    let res;
    const url = SESSION ? '/api/v1/session' : `/api/v1/worksheets/${encodeURIComponent(code)}/submissions?student=${encodeURIComponent(student)}`;
    try { res = await call(url); } catch {
      say($('attempts-status'), 'Your attempts cannot be loaded: the server cannot be reached.', true);
      return updateSubmit();
    }
    // the answer may come after the worksheet or the id changed: keep only the one asked for now
    if (!current || current.code !== code || $('student').value.trim() !== student) return;
    if (!res.ok) {
      const detail = await problemText(res);
      // 404: the code was not issued to this student (the server says so as for an unknown code)
      attemptsState = { code, student, error: detail, forbidden: res.status === 403 || res.status === 404 };
      say($('attempts-status'), detail, true);
    } else {
      const r = await res.json();
      attemptsState = { code, student, attempts: r.attempts, attemptsLeft: r.attemptsLeft };
      say($('attempts-status'), r.attempts.length ? '' : 'No attempts yet.');
    }
    updateSubmit();
  }

  /** after a worksheet opens: its assignment, the student's attempts, and a timer for the due time */
  function assignmentOpened() {
    clearTimeout(dueTimer);
    $('receipt').hidden = true;
    $('receipt').replaceChildren();
    const a = assignment();
    if (a && a.due) {
      const wait = Date.parse(a.due) - Date.now();
      if (wait > 0 && wait < 2 ** 31 - 1) dueTimer = setTimeout(updateSubmit, wait + 500);
    }
    updateSubmit();
    loadAttempts();
  }

  $('student').addEventListener('change', () => { if (current) loadAttempts(); });

  /** what will happen, in plain sentences, before the student confirms */
  function plan(a, known) {
    const next = known && !known.error ? known.attempts.length + 1 : null;
    const lines = [];
    const counts = `the ${a.counts} attempt counts`;
    if (a.maxAttempts === null) lines.push(`${next ? `Attempt ${next}` : 'This attempt'} (unlimited attempts): ${counts}.`);
    else if (next) lines.push(`Attempt ${next} of ${a.maxAttempts}: ${counts}.${next === a.maxAttempts ? ' This is your last attempt.' : ''}`);
    else lines.push(`${plural(a.maxAttempts, 'attempt is', 'attempts are')} allowed: ${counts}.`);
    if (!a.due) lines.push('There is no due time.');
    else if (closed(a)) lines.push(`The due time (${localTime(a.due)}) has passed; submissions are closed.`);
    else if (duePassed(a)) lines.push(`Due ${localTime(a.due)}. Late: this submission will be recorded as late.`);
    else lines.push(`Due ${localTime(a.due)}: submitted now, it is on time.`);
    lines.push('Your answers stay on this device after you submit.');
    return { lines, next };
  }

  $('submit-credit').addEventListener('click', async () => {
    if (!current || submitting || !assignment()) return;
    saveDraft();
    const student = $('student').value.trim();
    if (!student) return showScore([html('p', { text: 'Type your student id (above, beside the worksheet code) before you submit.' })], true);
    if (!attemptsFor()) await loadAttempts();
    if (submitBlocked()) return updateSubmit();
    const { lines, next } = plan(assignment(), attemptsFor());
    $('confirm-plan').replaceChildren(...lines.map((t) => html('li', { text: t })));
    $('confirm-h').textContent = next ? `Submit attempt ${next} for credit?` : 'Submit for credit?';
    $('confirm-yes').textContent = next ? `Submit attempt ${next}` : 'Submit';
    const dialog = $('confirm');
    dialog.showModal();
    $('confirm-no').focus();
  });

  const closeConfirm = () => { const d = $('confirm'); if (d.open) d.close(); };
  $('confirm-no').addEventListener('click', () => { closeConfirm(); $('submit-credit').focus(); });
  $('confirm').addEventListener('cancel', () => setTimeout(() => $('submit-credit').focus(), 0));

  /** the receipt of a recorded submission, to keep: attempt, time received, its id, the score */
  function showReceipt(r) {
    const receipt = $('receipt');
    const of = r.maxAttempts === null ? '' : ` of ${r.maxAttempts}`;
    const rows = [
      ['Attempt', `${r.attempt}${of}${r.late ? ' (late)' : ''}`],
      ['Received', localTime(r.receivedAt, true)],
      ['Submission id', r.id],
      ['Score', `${r.result.score} / ${r.result.max}`],
      ['Counts', `the ${r.counts} attempt counts${r.attemptsLeft === null ? '' : `; ${r.attemptsLeft === 0 ? 'no attempts' : plural(r.attemptsLeft, 'attempt', 'attempts')} left`}`],
    ];
    receipt.replaceChildren(
      html('h2', { id: 'receipt-h', text: `Received: attempt ${r.attempt}${of}` }),
      html('dl', {}, rows.flatMap(([k, v]) => [html('dt', { text: k }), html('dd', { text: v, ...(k === 'Submission id' ? { class: 'id' } : {}) })])),
      html('p', { class: 'note', text: 'Keep this receipt: the submission id is your proof that this attempt was recorded.' }),
    );
    receipt.hidden = false;
    receipt.focus();
  }

  $('confirm-yes').addEventListener('click', async () => {
    closeConfirm();
    if (!current || submitting) return;
    saveDraft();
    const student = $('student').value.trim();
    const body = { format: 'gradsheet.submission/1', worksheet: current.code, student, answers: collect() };
    submitting = true;
    updateSubmit();
    showScore([html('p', { text: 'Submitting…' })]);
    let res;
    try {
      res = await call('/api/v1/submissions', { method: 'POST', headers: POST_HEADERS, body: JSON.stringify(body) });
    } catch {
      submitting = false;
      updateSubmit();
      showScore([html('p', { text: 'The server could not be reached, so this submission may not have been received. Your answers are kept on this device; look at your attempts above before you submit again.' })], true);
      return loadAttempts();
    }
    submitting = false;
    updateSubmit();
    if (res.status !== 201) {
      showScore([html('p', { text: await problemText(res) }), html('p', { class: 'kept', text: 'Your answers are kept on this device.' })], true);
      return loadAttempts();
    }
    const r = await res.json();
    $('score').replaceChildren(...resultNodes(r.result));
    $('score').classList.remove('error');
    showReceipt(r);
    loadAttempts();
  });

  /** a launched page: the session's worksheet opens by itself, with the draft this device keeps */
  async function openSession() {
    openForm.hidden = true;
    let res;
    try { res = await call('/api/v1/session'); } catch { res = null; }
    if (!res || !res.ok) {
      openForm.hidden = false;
      for (const el of openForm.querySelectorAll('input, button')) el.disabled = true;
      return say($('open-status'), res ? `${await problemText(res)}` : 'The server cannot be reached; open the assignment again from your course.', true);
    }
    const s = await res.json();
    $('student').value = s.student;
    $('code').value = s.worksheet;
    document.title = `${s.title} — gradsheet`;
    document.querySelector('h1').textContent = s.title;
    showWorksheet({ ...s.view, assignment: s.assignment });
    restoreDraft(s.worksheet);
    refreshPreviews();
    assignmentOpened();
    // said once and kept: the status line below it is the attempts' own (loadAttempts rewrites it)
    $('attempts-summary').after(html('p', { id: 'session-note', class: 'note', text: `Worksheet ${s.worksheet}. Your score for credit is sent to your course's gradebook.` }));
  }

  if (SESSION) { openSession(); return; }

  // back where the student left off: the student id and the last worksheet, with its answers
  const savedStudent = get('gradsheet.student'), savedCode = get('gradsheet.last');
  if (savedStudent && !$('student').value) $('student').value = savedStudent;
  if (savedCode && !$('code').value) { $('code').value = savedCode; openWorksheet(savedCode, true); }
})();
