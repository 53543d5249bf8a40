// In-place edits of a config file's text by position, so every line keeps its
// number: a resolver's checker then names the image's own lines. Used by the
// named.conf substitutions (a statement commented out where it stands, a path
// replaced inside its quotes, statements added on a block's opening line).

export interface Edit {
  /** 1-based line and 0-based column of the first character replaced. */
  readonly line: number;
  readonly col: number;
  /** Just past the last character replaced (equal to the start for an insertion). */
  readonly endLine: number;
  readonly endCol: number;
  readonly text: string;
}

/** Applies edits that do not overlap; each edit's text goes on its start line (no newline may be added). */
export function applyEdits(text: string, edits: readonly Edit[]): string {
  const lines = text.split('\n');
  const sorted = [...edits].sort((a, b) => b.line - a.line || b.col - a.col);
  for (const e of sorted) {
    if (e.line === e.endLine) {
      const l = lines[e.line - 1] ?? '';
      lines[e.line - 1] = l.slice(0, e.col) + e.text + l.slice(e.endCol);
      continue;
    }
    // A multi-line range: the first line takes the replacement, the lines
    // between and the last line's covered part are commented out in place.
    const first = lines[e.line - 1] ?? '';
    const last = lines[e.endLine - 1] ?? '';
    lines[e.line - 1] = first.slice(0, e.col) + e.text;
    for (let l = e.line; l < e.endLine - 1; l++) lines[l] = blockComment(lines[l] ?? '');
    lines[e.endLine - 1] = blockComment(last.slice(0, e.endCol)) + last.slice(e.endCol);
  }
  return lines.join('\n');
}

/** Text wrapped in a C comment, made safe to wrap (no comment delimiter survives inside). */
export const blockComment = (text: string): string => (text.trim() === '' ? text : `/* ${text.replace(/\*\//g, '*_/').replace(/\/\*/g, '/_*')} */`);

/** An edit that comments out a range of a file where it stands, with a note on the first line. */
export function commentOut(text: string, range: { start: { line: number; col: number }; end: { line: number; col: number } }, note: string): Edit {
  const lines = text.split('\n');
  if (range.start.line === range.end.line) {
    const covered = (lines[range.start.line - 1] ?? '').slice(range.start.col, range.end.col);
    return { line: range.start.line, col: range.start.col, endLine: range.end.line, endCol: range.end.col, text: blockComment(`${note}: ${covered}`) };
  }
  const firstPart = (lines[range.start.line - 1] ?? '').slice(range.start.col);
  return { line: range.start.line, col: range.start.col, endLine: range.end.line, endCol: range.end.col, text: blockComment(`${note}: ${firstPart}`) };
}
