// Writing a run's generated files: a text, or its pieces as they are made
// (a zone of 100k names), so that the whole is never held at once.
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** Writes text (a string, or pieces written one after another) to path, making its directory. */
export function writeText(path: string, text: string | Iterable<string>): void {
  mkdirSync(dirname(path), { recursive: true });
  if (typeof text === 'string') {
    writeFileSync(path, text);
    return;
  }
  const fd = openSync(path, 'w');
  try {
    for (const piece of text) writeSync(fd, piece);
  } finally {
    closeSync(fd);
  }
}
