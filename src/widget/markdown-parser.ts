/**
 * The markdown subset agents and bots may use: **bold**, *italic* (or _italic_), `code`, fenced
 * code blocks, [links](https://...) and bare http(s) URLs, and line breaks. The parser returns
 * plain data; `markdown-render.ts` turns it into DOM nodes. There is no HTML in this grammar at
 * all: `<b>` is four characters of text, so nothing typed by a customer or an agent can become
 * markup, and a link exists only when its address is http or https.
 */

export type MarkdownNode =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'strong' | 'em'; readonly children: readonly MarkdownNode[] }
  | { readonly type: 'code'; readonly text: string }
  | { readonly type: 'pre'; readonly text: string }
  | { readonly type: 'link'; readonly href: string; readonly children: readonly MarkdownNode[] }
  | { readonly type: 'br' };

/** Longer texts are shown as they are; the limit only bounds the parser's work. */
const MAX_PARSED_CHARS = 20_000;
/** Emphasis inside emphasis inside a link...: deeper than this is left as text. */
const MAX_DEPTH = 4;
const ESCAPABLE = new Set(['\\', '`', '*', '_', '[', ']', '(', ')', '#', '!', '~']);

/** An address a link may point to: absolute http or https, nothing else (no javascript:, data:, relative or protocol-relative). */
export function safeHref(raw: string): string | undefined {
  const value = raw.trim();
  // eslint-disable-next-line no-control-regex
  if (!/^https?:\/\//i.test(value) || /[\s\u0000-\u001f\u007f<>"'`\\]/.test(value)) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

export function parseMarkdown(source: string): MarkdownNode[] {
  const text = String(source ?? '').replace(/\r\n?/g, '\n');
  if (text.length > MAX_PARSED_CHARS) return withBreaks(text, (line) => [{ type: 'text', text: line }]);
  const out: MarkdownNode[] = [];
  // Fenced code blocks first: their content is literal, line breaks included.
  const fence = /^```[^\n]*\n([\s\S]*?)\n?```[ \t]*$/gm;
  let last = 0;
  for (let m = fence.exec(text); m; m = fence.exec(text)) {
    pushBlock(out, text.slice(last, m.index));
    out.push({ type: 'pre', text: m[1] ?? '' });
    last = m.index + m[0].length;
  }
  pushBlock(out, text.slice(last));
  return out;
}

function pushBlock(out: MarkdownNode[], block: string): void {
  const trimmed = block.replace(/^\n/, '').replace(/\n$/, '');
  if (trimmed === '') return;
  out.push(...withBreaks(trimmed, (line) => parseInline(line, 0, true)));
}

function withBreaks(text: string, parseLine: (line: string) => MarkdownNode[]): MarkdownNode[] {
  const out: MarkdownNode[] = [];
  text.split('\n').forEach((line, i) => {
    if (i > 0) out.push({ type: 'br' });
    out.push(...parseLine(line));
  });
  return out;
}

function isWordChar(ch: string | undefined): boolean {
  return ch !== undefined && /[\p{L}\p{N}]/u.test(ch);
}

/** Parses one line. `links` is false inside a link label: links do not nest. */
function parseInline(src: string, depth: number, links: boolean): MarkdownNode[] {
  const out: MarkdownNode[] = [];
  // Where the last search for each closer started and what it found: positions only grow, so a
  // search from further on can reuse it, and "*a *a *a ..." or "[[[[..." stays linear.
  const memo: Memo = new Map();
  let buffer = '';
  const flush = () => {
    if (buffer) out.push({ type: 'text', text: buffer });
    buffer = '';
  };
  let i = 0;
  while (i < src.length) {
    const ch = src[i]!;
    if (ch === '\\' && ESCAPABLE.has(src[i + 1] ?? '')) {
      buffer += src[i + 1];
      i += 2;
      continue;
    }
    if (ch === '`') {
      const run = /^`+/.exec(src.slice(i))![0];
      const close = src.indexOf(run, i + run.length);
      const inner = close === -1 ? '' : src.slice(i + run.length, close);
      if (inner.length > 0) {
        flush();
        // One space on each side lets a code span start or end with a backtick, as in CommonMark.
        out.push({ type: 'code', text: inner.length > 2 && inner.startsWith(' ') && inner.endsWith(' ') ? inner.slice(1, -1) : inner });
        i = close + run.length;
        continue;
      }
      buffer += run;
      i += run.length;
      continue;
    }
    if ((ch === '*' || ch === '_') && depth < MAX_DEPTH) {
      const emphasis = matchEmphasis(src, i, depth, links, memo);
      if (emphasis) {
        flush();
        out.push(emphasis.node);
        i = emphasis.end;
        continue;
      }
    }
    if (ch === '[' && links && depth < MAX_DEPTH) {
      const link = matchLink(src, i, depth, memo);
      if (link) {
        flush();
        out.push(...link.nodes);
        i = link.end;
        continue;
      }
    }
    if ((ch === 'h' || ch === 'H') && links && !isWordChar(src[i - 1])) {
      const auto = /^https?:\/\/[^\s<>"'`]+/i.exec(src.slice(i));
      if (auto) {
        // Sentence punctuation after a URL is not part of it: "see https://x.example/a."
        const url = auto[0].replace(/[.,;:!?)\]]+$/, '');
        const href = safeHref(url);
        if (href) {
          flush();
          out.push({ type: 'link', href, children: [{ type: 'text', text: url }] });
          i += url.length;
          continue;
        }
      }
    }
    buffer += ch;
    i += 1;
  }
  flush();
  return out;
}

type Memo = Map<string, { readonly from: number; readonly found: number }>;

/** The first position >= `from` where `valid` holds, searching for `marker`; -1 for none. */
function findCloser(src: string, marker: string, from: number, valid: (at: number) => boolean, memo: Memo): number {
  const last = memo.get(marker);
  if (last && from >= last.from && (last.found === -1 || last.found >= from)) return last.found;
  let at = src.indexOf(marker, from);
  while (at !== -1 && !valid(at)) at = src.indexOf(marker, at + 1);
  memo.set(marker, { from, found: at });
  return at;
}

function matchEmphasis(src: string, i: number, depth: number, links: boolean, memo: Memo): { node: MarkdownNode; end: number } | undefined {
  const ch = src[i]!;
  const strong = src[i + 1] === ch;
  const marker = strong ? ch + ch : ch;
  // Underscores inside words (snake_case, file_name_v2) are not emphasis.
  if (ch === '_' && isWordChar(src[i - 1])) return undefined;
  const start = i + marker.length;
  if (src[start] === undefined || /\s/.test(src[start]!)) return undefined;
  // Whether a closer is valid does not depend on where the opener is (`start` only bounds the
  // search), which is what lets `findCloser` reuse an earlier search.
  const closes = (c: number): boolean =>
    !/\s/.test(src[c - 1]!)
    // A single `*` does not close on half of a `**`.
    && (strong || (src[c + 1] !== ch && src[c - 1] !== ch))
    && (ch !== '_' || !isWordChar(src[c + marker.length]));
  const close = findCloser(src, marker, start + 1, closes, memo);
  if (close === -1) return undefined;
  const children = parseInline(src.slice(start, close), depth + 1, links);
  return { node: { type: strong ? 'strong' : 'em', children }, end: close + marker.length };
}

function matchLink(src: string, i: number, depth: number, memo: Memo): { nodes: MarkdownNode[]; end: number } | undefined {
  const labelEnd = findCloser(src, '](', i + 1, () => true, memo);
  if (labelEnd === -1) return undefined;
  const label = src.slice(i + 1, labelEnd);
  if (label.length === 0 || label.includes('[')) return undefined;
  const urlEnd = src.indexOf(')', labelEnd + 2);
  if (urlEnd === -1) return undefined;
  const url = src.slice(labelEnd + 2, urlEnd);
  const children = parseInline(label, depth + 1, false);
  const href = safeHref(url);
  // A link to anything but http(s) keeps its label and loses its address.
  return { nodes: href ? [{ type: 'link', href, children }] : children, end: urlEnd + 1 };
}
