import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMarkdown, safeHref, type MarkdownNode } from '../../src/widget/markdown-parser.js';
import { renderMarkdown, renderPlainText, type MarkdownDocument } from '../../src/widget/markdown-render.js';

// A document that records what the renderer builds, so the tests see exactly which elements,
// attributes and text nodes exist. Serialising escapes text, as a browser's innerHTML getter would.
type FakeNode = { kind: 'text'; text: string } | FakeElement;
interface FakeElement {
  kind: 'element';
  tag: string;
  attributes: Record<string, string>;
  children: FakeNode[];
  appendChild(child: FakeNode): unknown;
  setAttribute(name: string, value: string): void;
}

const doc: MarkdownDocument<FakeNode> = {
  createElement(tag) {
    const el: FakeElement = {
      kind: 'element', tag, attributes: {}, children: [],
      appendChild(child) {
        el.children.push(child);
        return child;
      },
      setAttribute(name, value) {
        el.attributes[name] = value;
      },
    };
    return el;
  },
  createTextNode: (text) => ({ kind: 'text', text }),
};

const escape = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
function html(nodes: FakeNode[]): string {
  return nodes.map((n) => n.kind === 'text'
    ? escape(n.text)
    : `<${n.tag}${Object.entries(n.attributes).map(([k, v]) => ` ${k}="${escape(v)}"`).join('')}>${n.tag === 'br' ? '' : `${html(n.children)}</${n.tag}>`}`).join('');
}
function elements(nodes: FakeNode[]): FakeElement[] {
  return nodes.flatMap((n) => (n.kind === 'element' ? [n, ...elements(n.children)] : []));
}
function textOf(nodes: FakeNode[]): string {
  return nodes.map((n) => (n.kind === 'text' ? n.text : n.tag === 'br' ? '\n' : textOf(n.children))).join('');
}
const render = (source: string) => renderMarkdown(doc, source);

describe('markdown: what it formats', () => {
  const cases: ReadonlyArray<[string, string, string]> = [
    ['bold', 'a **b** c', 'a <strong>b</strong> c'],
    ['bold with underscores', '__b__', '<strong>b</strong>'],
    ['italic', 'a *b* c', 'a <em>b</em> c'],
    ['italic with underscores', '_b_', '<em>b</em>'],
    ['italic inside bold', '**a *b* c**', '<strong>a <em>b</em> c</strong>'],
    ['code, literal inside', 'run `**x** <b>`', 'run <code>**x** &lt;b&gt;</code>'],
    ['a fenced code block keeps its lines', '```\nline 1\n**2**\n```', '<pre>line 1\n**2**</pre>'],
    ['line breaks', 'one\ntwo\r\nthree', 'one<br>two<br>three'],
    ['a link', '[our shop](https://shop.example/a?b=1)', '<a href="https://shop.example/a?b=1" target="_blank" rel="noopener noreferrer nofollow">our shop</a>'],
    ['bold inside a link label', '[**big**](http://x.example/)', '<a href="http://x.example/" target="_blank" rel="noopener noreferrer nofollow"><strong>big</strong></a>'],
    ['a bare URL, without the full stop after it', 'see https://x.example/p.', 'see <a href="https://x.example/p" target="_blank" rel="noopener noreferrer nofollow">https://x.example/p</a>.'],
    ['snake_case is not italic', 'order_id_42 and file_name', 'order_id_42 and file_name'],
    ['a lone star is text', '2 * 3 = 6', '2 * 3 = 6'],
    ['an unclosed bold is text', '**not closed', '**not closed'],
    ['a backslash escapes', '\\*not italic\\*', '*not italic*'],
  ];
  for (const [name, source, expected] of cases) {
    it(name, () => assert.equal(html(render(source)), expected));
  }
});

describe('markdown: what it never does', () => {
  it('renders HTML as text: a <script> element is characters, not an element', () => {
    const source = '<script>alert(1)</script><img src=x onerror=alert(2)>';
    const nodes = render(source);
    assert.deepEqual(elements(nodes), [], 'no element at all');
    assert.equal(textOf(nodes), source, 'every character is kept as text');
    assert.equal(html(nodes), '&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;');
  });

  const refused = [
    'javascript:alert(1)',
    'JaVaScRiPt:alert(1)',
    ' javascript:alert(1)',
    'java\tscript:alert(1)',
    'javascript&#58;alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox(1)',
    '//evil.example/x',
    '/relative/path',
    'ftp://files.example/x',
    'https://ok.example/"onmouseover="alert(1)',
  ];
  for (const href of refused) {
    it(`makes no link of [label](${href})`, () => {
      const nodes = render(`[label](${href})`);
      assert.equal(elements(nodes).filter((e) => e.tag === 'a').length, 0, html(nodes));
      assert.ok(!html(nodes).includes('href'), html(nodes));
      assert.equal(safeHref(href), undefined);
    });
  }

  it('makes no link of a bare javascript: URL either', () => {
    const nodes = render('javascript:alert(document.cookie)');
    assert.deepEqual(elements(nodes), []);
  });

  it('sets no attribute but a checked href, target and rel', () => {
    const nodes = render('**[a](https://a.example/)** *b* `c` https://d.example/\nx');
    for (const el of elements(nodes)) {
      for (const name of Object.keys(el.attributes)) assert.ok(['href', 'target', 'rel'].includes(name), `${el.tag} has ${name}`);
      if (el.tag === 'a') assert.match(el.attributes.href!, /^https:\/\//);
    }
    assert.deepEqual([...new Set(elements(nodes).map((e) => e.tag))].sort(), ['a', 'br', 'code', 'em', 'strong']);
  });

  it('survives pathological input', () => {
    const stars = '*a '.repeat(3000);
    const started = Date.now();
    const nodes: MarkdownNode[] = parseMarkdown(stars + '_'.repeat(3000) + '['.repeat(3000));
    assert.ok(nodes.length > 0);
    assert.ok(Date.now() - started < 2000, 'parsing stays fast');
    const deep = '**'.repeat(200) + 'x' + '**'.repeat(200);
    assert.ok(textOf(render(deep)).includes('x'));
  });

  it('renders plain text (what customers type) with its line breaks and nothing else', () => {
    const nodes = renderPlainText(doc, '**hi** <b>\nthere');
    assert.equal(html(nodes), '**hi** &lt;b&gt;<br>there');
  });
});
