import { parseMarkdown, type MarkdownNode } from './markdown-parser.js';

/**
 * Turns parsed markdown into DOM nodes. Text only ever becomes text nodes (createTextNode), and the
 * only attributes set are a link's checked `href` and fixed `target`/`rel`: no innerHTML, no
 * attribute taken from the message. The document is a parameter so the tests can run it in Node.
 */
export interface MarkdownElement<N> {
  appendChild(child: N): unknown;
  setAttribute(name: string, value: string): void;
}

export interface MarkdownDocument<N> {
  createElement(tag: 'strong' | 'em' | 'code' | 'pre' | 'a' | 'br'): N & MarkdownElement<N>;
  createTextNode(text: string): N;
}

export function renderMarkdown<N>(doc: MarkdownDocument<N>, source: string): N[] {
  return renderNodes(doc, parseMarkdown(source));
}

/** Plain text with its line breaks: for what customers type, which is never markdown. */
export function renderPlainText<N>(doc: MarkdownDocument<N>, text: string): N[] {
  const out: N[] = [];
  String(text).replace(/\r\n?/g, '\n').split('\n').forEach((line, i) => {
    if (i > 0) out.push(doc.createElement('br'));
    if (line) out.push(doc.createTextNode(line));
  });
  return out;
}

export function renderNodes<N>(doc: MarkdownDocument<N>, nodes: readonly MarkdownNode[]): N[] {
  return nodes.map((node) => renderNode(doc, node));
}

function renderNode<N>(doc: MarkdownDocument<N>, node: MarkdownNode): N {
  switch (node.type) {
    case 'text':
      return doc.createTextNode(node.text);
    case 'br':
      return doc.createElement('br');
    case 'code':
    case 'pre': {
      const el = doc.createElement(node.type);
      el.appendChild(doc.createTextNode(node.text));
      return el;
    }
    case 'strong':
    case 'em': {
      const el = doc.createElement(node.type);
      for (const child of renderNodes(doc, node.children)) el.appendChild(child);
      return el;
    }
    case 'link': {
      const el = doc.createElement('a');
      el.setAttribute('href', node.href);
      // A new tab, without giving the opened page a handle on the host page (reverse tabnabbing).
      el.setAttribute('target', '_blank');
      el.setAttribute('rel', 'noopener noreferrer nofollow');
      for (const child of renderNodes(doc, node.children)) el.appendChild(child);
      return el;
    }
  }
}
