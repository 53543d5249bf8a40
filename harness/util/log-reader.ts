// A log file a running process keeps appending to, read a piece at a time:
// each read returns the whole lines written since the previous one.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const MAX_PIECE = 64 * 1024 * 1024;

/** Reads a log file that keeps growing, a piece at a time: what was written since the last read. */
export class LogReader {
  private offset = 0;
  constructor(private readonly file: string) {}
  next(): string {
    const fd = openSync(this.file, 'r');
    try {
      const size = fstatSync(fd).size;
      // A bounded piece at a time: a verbose resolver's log can outgrow any buffer.
      const buf = Buffer.alloc(Math.min(MAX_PIECE, Math.max(0, size - this.offset)));
      const n = readSync(fd, buf, 0, buf.length, this.offset);
      // Whole lines only: a line still being written is read next time.
      const end = buf.subarray(0, n).lastIndexOf(0x0a) + 1;
      this.offset += end;
      return buf.subarray(0, end).toString('utf8');
    } finally {
      closeSync(fd);
    }
  }
}
