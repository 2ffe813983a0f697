/**
 * One Handlebars instance for the project: templates and partials registered from templates/,
 * helpers for the few things templates may not do themselves. Everything is escaped ({{ }});
 * only fields that are KaTeX output or our own SVG (named *Html / *Svg in the view models) are
 * inserted raw, through the `raw` helper.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { clip } from '../text.js';

export interface Templates {
  worksheet: Handlebars.TemplateDelegate;
  key: Handlebars.TemplateDelegate;
  cover: Handlebars.TemplateDelegate;
  /** the answer key's tables of every worksheet's answers */
  keyTables: Handlebars.TemplateDelegate;
  /** the separate answer sheet of one worksheet */
  answerSheet: Handlebars.TemplateDelegate;
  /** CSS: the running header and footer (@page margin boxes) of one document */
  page: Handlebars.TemplateDelegate;
  css: string;
}

export function loadTemplates(dir: string): Templates {
  const hb = Handlebars.create();
  hb.registerHelper('raw', (html: unknown) => new hb.SafeString(typeof html === 'string' ? html : ''));
  hb.registerHelper('plural', (n: number, one: string, many: string) => (n === 1 ? one : many));
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hb.registerHelper('cssString', (text: unknown) => new hb.SafeString(cssString(typeof text === 'string' ? text : '')));
  // text cut to at most n characters, the cut marked with an ellipsis
  hb.registerHelper('clip', (text: unknown, n: number) => clip(typeof text === 'string' ? text : '', n));
  // "course · title": the non-empty ones of its arguments (the last is Handlebars' options)
  hb.registerHelper('join', (...args: unknown[]) => args.slice(0, -1).filter((a) => typeof a === 'string' && a !== '').join(' · '));
  const partials = join(dir, 'partials');
  for (const file of readdirSync(partials).filter((f) => f.endsWith('.hbs'))) {
    hb.registerPartial(file.slice(0, -4), readFileSync(join(partials, file), 'utf8'));
  }
  const compile = (name: string) => hb.compile(readFileSync(join(dir, `${name}.hbs`), 'utf8'), { strict: true });
  return {
    worksheet: compile('worksheet'),
    key: compile('key'),
    cover: compile('cover'),
    keyTables: compile('key-tables'),
    answerSheet: compile('answer-sheet'),
    page: compile('page.css'),
    css: readFileSync(join(dir, 'sheet.css'), 'utf8'),
  };
}


/**
 * A CSS string literal of any text: letters, digits, spaces and harmless punctuation as they are,
 * everything else as a hex escape — so quotes, backslashes, newlines and `<` (which could close
 * the <style> element of an HTML file) never reach the CSS as themselves.
 */
export function cssString(text: string): string {
  let out = '"';
  for (const ch of text) {
    out += /^[\p{L}\p{N} .,:;!?·…()_+=@#%*-]$/u.test(ch) ? ch : `\\${ch.codePointAt(0)!.toString(16)} `;
  }
  return `${out}"`;
}
