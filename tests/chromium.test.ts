/**
 * Starting Chromium without Puppeteer: the command line against Puppeteer's own defaults, and the
 * DevTools pipe's framing against a stream that splits messages anywhere (UTF-8 sequences included).
 */
import { PassThrough } from 'node:stream';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import { describe, expect, it } from 'vitest';
import { PipeTransport, chromiumArgs, launchedBinary, startChromium, killGroup } from '../src/render/chromium.js';

const SHELL = '/usr/bin/chromium-headless-shell';

describe('the command line gradsheet starts Chromium with', () => {
  const ours = chromiumArgs(SHELL, '/tmp/profile');
  const theirs = puppeteer.defaultArgs({ headless: 'shell', userDataDir: '/tmp/profile', args: [] });

  it("has every one of Puppeteer's defaults but the two for tagged PDFs and outlines, and no initial tab", () => {
    const features = (args: string[], flag: string) => args.filter((a) => a.startsWith(`${flag}=`)).flatMap((a) => a.slice(flag.length + 1).split(','));
    const plain = (args: string[]) => args.filter((a) => a.startsWith('--') && !a.startsWith('--disable-features=') && !a.startsWith('--enable-features='));
    const left = plain(theirs).filter((a) => !ours.includes(a));
    expect(left).toEqual(['--export-tagged-pdf', '--generate-pdf-document-outline']);
    // every feature Puppeteer disables stays disabled
    expect(features(ours, '--disable-features')).toEqual(expect.arrayContaining(features(theirs, '--disable-features')));
    expect(ours).toContain('--remote-debugging-pipe');
    expect(ours.filter((a) => !a.startsWith('--'))).toEqual([]);
  });

  it('asks for begin-frame control in the headless shell only, and turns the omnibox popups off in the full browser only', () => {
    const full = chromiumArgs('/usr/bin/chromium', '/tmp/profile');
    expect(ours).toContain('--enable-begin-frame-control');
    expect(full).not.toContain('--enable-begin-frame-control');
    expect(full.find((a) => a.startsWith('--disable-features='))).toContain('WebUIOmniboxPopup');
    expect(ours.find((a) => a.startsWith('--disable-features='))).not.toContain('WebUIOmniboxPopup');
  });
});

describe('the binary gradsheet runs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradsheet-launcher-'));
  const script = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    chmodSync(path, 0o755);
    return path;
  };

  it("is the binary behind a launcher that only runs it, as Debian's chromium-headless-shell is", () => {
    expect(launchedBinary(script('debian', `#!/bin/sh -e\n\n${process.execPath} "$@"\n`))).toBe(process.execPath);
    expect(launchedBinary(script('exec', `#!/bin/sh\n# a comment\nexec ${process.execPath} "$@"\n`))).toBe(process.execPath);
  });

  it('is the launcher itself when it does anything more, runs something that is not there, or is a binary', () => {
    expect(launchedBinary(script('flags', `#!/bin/sh\nFLAGS=--x\n${process.execPath} $FLAGS "$@"\n`))).toBe(join(dir, 'flags'));
    expect(launchedBinary(script('fixed', `#!/bin/sh\n${process.execPath} --fixed "$@"\n`))).toBe(join(dir, 'fixed'));
    expect(launchedBinary(script('missing', '#!/bin/sh\n/nowhere/chromium "$@"\n'))).toBe(join(dir, 'missing'));
    expect(launchedBinary(process.execPath)).toBe(process.execPath);
    expect(launchedBinary('/nowhere/at/all')).toBe('/nowhere/at/all');
  });

  it.runIf(existsSync(SHELL))("starts Debian's headless shell without a shell in front of it", async () => {
    const chromium = startChromium(SHELL);
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const exe = readFileSync(`/proc/${chromium.child.pid}/cmdline`, 'utf8').split('\0')[0];
      expect(exe).toBe(launchedBinary(SHELL));
      expect(exe).not.toBe(SHELL);
    } finally {
      killGroup(chromium.child.pid);
      await chromium.exited();
      rmSync(chromium.profileDir, { recursive: true, force: true });
    }
  });
});

describe('the DevTools pipe', () => {
  function pipe() {
    const toChromium = new PassThrough(), fromChromium = new PassThrough();
    const transport = new PipeTransport(toChromium, fromChromium);
    const received: string[] = [];
    transport.onmessage = (m) => received.push(m);
    return { transport, toChromium, fromChromium, received };
  }
  const settle = () => new Promise((resolve) => setImmediate(() => setImmediate(resolve)));

  it('ends each message it sends with a NUL byte', () => {
    const { transport, toChromium } = pipe();
    transport.send('{"id":1}');
    transport.send('{"id":2,"x":"é"}');
    expect(toChromium.read().toString('utf8')).toBe('{"id":1}\0{"id":2,"x":"é"}\0');
  });

  it('hands on whole messages, in order, however the bytes are cut (inside a multi-byte character too)', async () => {
    const messages = ['{"id":1,"result":{}}', '{"method":"x","params":{"s":"∂L₃/∂U — ünïcödé"}}', '{}', `{"big":"${'a'.repeat(70_000)}"}`];
    const bytes = Buffer.from(messages.map((m) => `${m}\0`).join(''), 'utf8');
    for (const cuts of [[], [1], [5, 6, 7], Array.from({ length: 200 }, (_, i) => i + 1), Array.from({ length: 200 }, (_, i) => i * 389 + 3)]) {
      const { fromChromium, received } = pipe();
      let start = 0;
      for (const cut of [...cuts.filter((c) => c < bytes.length), bytes.length]) {
        fromChromium.write(bytes.subarray(start, cut));
        start = cut;
      }
      await settle();
      expect(received).toEqual(messages);
    }
  });

  it('reports the pipe closing, to a handler set before or after, and refuses to send once closed', async () => {
    const { transport, toChromium, fromChromium } = pipe();
    let before = 0, after = 0;
    transport.onclose = () => { before += 1; };
    fromChromium.destroy();
    await settle();
    expect(before).toBe(1);
    // Puppeteer attaches its handler only once it has loaded, by when Chromium may be gone
    transport.onclose = () => { after += 1; };
    await settle();
    expect(after).toBe(1);
    expect(() => transport.send('{"id":3}')).toThrow(/closed/);
    expect(toChromium.read()).toBeNull();
  });

  it('hands on nothing more once it is closed from our side', async () => {
    const { transport, fromChromium, received } = pipe();
    fromChromium.write('{"id":1}\0');
    transport.close();
    fromChromium.write('{"id":2}\0');
    await settle();
    expect(received).toEqual([]);
  });
});

describe.skipIf(!existsSync(SHELL))('a started Chromium', () => {
  it('answers over the pipe, opens no tab of its own, and dies with its process group', async () => {
    const chromium = startChromium(SHELL);
    try {
      const browser = await puppeteer.connect({ transport: chromium.transport });
      expect(await browser.version()).toMatch(/Chrome\/\d+/);
      expect(browser.targets().filter((t) => t.type() === 'page')).toEqual([]);
    } finally {
      killGroup(chromium.child.pid);
      await chromium.exited();
      rmSync(chromium.profileDir, { recursive: true, force: true });
    }
    expect(chromium.child.signalCode).toBe('SIGKILL');
    expect(chromium.hasExited()).toBe(true);
    expect(chromium.exitDescription()).toBe('signal SIGKILL');
  });
});
