/**
 * Standard output for bulk text, through one buffer that is filled, written and reused. On this
 * kind of machine touching fresh memory is what costs: a page touched for the first time took
 * ~16 µs here, so building each megabyte of output as a new string and encoding it into a new
 * buffer (as process.stdout.write(string) does) cost more page faults than formatting it.
 */
import { writeSync } from 'node:fs';
import { GradsheetError } from '../errors.js';

const pause = new Int32Array(new SharedArrayBuffer(4));

export class OutputBuffer {
  private readonly bytes: Buffer;
  private used = 0;

  constructor(private readonly fd = 1, size = 1 << 20) {
    this.bytes = Buffer.allocUnsafe(size);
  }

  write(text: string): void {
    // a UTF-16 code unit takes at most 3 bytes in UTF-8, so a text of this length always fits
    if (3 * text.length > this.bytes.length - this.used) {
      this.flush();
      if (3 * text.length > this.bytes.length) return this.writeAll(Buffer.from(text, 'utf8'));
    }
    this.used += this.bytes.write(text, this.used, 'utf8');
  }

  flush(): void {
    if (this.used === 0) return;
    this.writeAll(this.bytes.subarray(0, this.used));
    this.used = 0;
  }

  /** Writes every byte, waiting out a full non-blocking pipe; a reader that has gone (`… | head`) ends the process quietly, as the CLI does for process.stdout. */
  private writeAll(bytes: Uint8Array): void {
    for (let done = 0; done < bytes.length;) {
      try {
        done += writeSync(this.fd, bytes, done, bytes.length - done);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') Atomics.wait(pause, 0, 0, 1);
        else if (code === 'EPIPE') process.exit(0);
        else {
          // a full disk, say: the environment's trouble, not gradsheet's, in one sentence
          const why = /^\w+: ([^,]+)/.exec((e as Error).message)?.[1] ?? String(e);
          throw new GradsheetError('not-found', `Standard output cannot be written: ${why}${code ? ` (${code})` : ''}.`, { cause: e });
        }
      }
    }
  }
}
