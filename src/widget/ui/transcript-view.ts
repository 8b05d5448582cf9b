import type { Attachment } from '../directline-types.js';
import { safeHref } from '../markdown-parser.js';
import { renderMarkdown, renderPlainText } from '../markdown-render.js';
import type { TranscriptMessage, TranscriptStore } from '../transcript-store.js';
import { h, setChildren } from './dom.js';

/**
 * The message list (role="log", aria-live="polite"), the queue banner and the typing line. Nodes
 * are kept by message key and only added, moved or patched: a screen reader announces a message
 * once, and a pending message that becomes "sent" is the same node with a new status.
 */
export class TranscriptView {
  readonly el: HTMLElement;
  readonly log: HTMLElement;
  readonly #queue: HTMLElement;
  readonly #typing: HTMLElement;
  readonly #nodes = new Map<string, { el: HTMLElement; state: HTMLElement | null; message: TranscriptMessage; showName: boolean }>();

  readonly #base: string;
  readonly #onRetry: (clientActivityId: string) => void;

  constructor(base: string, onRetry: (clientActivityId: string) => void) {
    this.#base = base;
    this.#onRetry = onRetry;
    this.#queue = h('div', { class: 'queue', role: 'status', hidden: true });
    // tabindex: keyboard users can scroll a long transcript.
    this.log = h('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', 'aria-label': 'Messages', tabindex: 0 });
    this.#typing = h('div', { class: 'typing', 'aria-live': 'polite' });
    this.el = h('div', { class: 'transcript' }, this.#queue, this.log, this.#typing);
  }

  update(store: TranscriptStore, now: number): void {
    const queue = store.queue;
    this.#queue.hidden = !queue;
    if (queue) setChildren(this.#queue, queue.text || describeQueue(queue.position, queue.estimatedWaitSeconds));

    const stick = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 40;
    const messages = store.messages();
    const keep = new Set(messages.map((m) => m.key));
    for (const [key, node] of this.#nodes) {
      if (!keep.has(key)) {
        node.el.remove();
        this.#nodes.delete(key);
      }
    }
    let previous: TranscriptMessage | undefined;
    let cursor: ChildNode | null = this.log.firstChild;
    for (const message of messages) {
      // A name over the first of a run of messages from the same agent or bot.
      const showName = (message.sender === 'agent' || message.sender === 'bot') && !(previous && previous.sender === message.sender && previous.senderName === message.senderName);
      let node = this.#nodes.get(message.key);
      if (node && node.message !== message && node.state && node.showName === showName && sameContent(node.message, message)) {
        // Our own message was sent or echoed: patch its status line, keep the node.
        this.#setDeliveryState(node.state, message);
        node.message = message;
      } else if (!node || node.message !== message || node.showName !== showName) {
        const state = message.sender === 'self' ? h('div', { class: 'state' }) : null;
        if (state) this.#setDeliveryState(state, message);
        const el = this.#messageElement(message, showName, state);
        if (node) node.el.replaceWith(el);
        node = { el, state, message, showName };
        this.#nodes.set(message.key, node);
      }
      if (node.el !== cursor) this.log.insertBefore(node.el, cursor);
      cursor = node.el.nextSibling;
      previous = message;
    }
    if (stick) this.log.scrollTop = this.log.scrollHeight;

    const typists = store.typing.active(now);
    setChildren(this.#typing, typists.length === 0 ? '' : `${typists.map((t) => t.name ?? 'The agent').join(', ')} ${typists.length === 1 ? 'is' : 'are'} typing…`);
  }

  #messageElement(m: TranscriptMessage, showName: boolean, state: HTMLElement | null): HTMLElement {
    if (m.notice) return h('div', { class: 'notice' }, ...renderMarkdown<Node>(document, m.text));
    const who = m.sender === 'self' ? 'You' : m.senderName ?? (m.sender === 'bot' ? 'Assistant' : 'Agent');
    const body = m.text ? (m.textFormat === 'markdown' ? renderMarkdown<Node>(document, m.text) : renderPlainText<Node>(document, m.text)) : [];
    const files = m.attachments.length > 0 ? h('div', { class: 'files' }, ...m.attachments.map((a) => this.#attachment(a))) : null;
    return h('div', { class: `msg ${m.sender}` },
      showName ? h('div', { class: 'who' }, who) : h('span', { class: 'vh' }, `${who}:`),
      h('div', { class: 'bubble' }, ...body, files, m.edited ? h('span', { class: 'edited' }, 'edited') : null),
      state);
  }

  #setDeliveryState(state: HTMLElement, m: TranscriptMessage): void {
    state.classList.toggle('failed', m.status === 'failed');
    if (m.status === 'sending') return setChildren(state, 'Sending…');
    if (m.status === 'failed' && m.clientActivityId) {
      const id = m.clientActivityId;
      return setChildren(state, 'Not sent. ', h('button', { type: 'button', onclick: () => this.#onRetry(id) }, 'Retry'));
    }
    setChildren(state);
  }

  #attachment(a: Attachment): HTMLElement {
    const name = a.name ?? 'Attachment';
    const href = a.contentUrl ? attachmentUrl(a.contentUrl, this.#base) : undefined;
    if (!href) return h('span', {}, name);
    const link = h('a', { href, target: '_blank', rel: 'noopener noreferrer' });
    if (a.contentType.startsWith('image/')) link.appendChild(h('img', { src: href, alt: name, loading: 'lazy' }));
    else link.appendChild(document.createTextNode(name));
    return link;
  }
}

function sameContent(a: TranscriptMessage, b: TranscriptMessage): boolean {
  return a.sender === b.sender && a.text === b.text && a.attachments.length === b.attachments.length
    && a.attachments.every((x, i) => x.contentUrl === b.attachments[i]!.contentUrl);
}

/** Attachment URLs may be relative to Switchboard (`/files/...`); either way only http(s). */
export function attachmentUrl(url: string, base: string): string | undefined {
  try {
    return safeHref(new URL(url, `${base}/`).href);
  } catch {
    return undefined;
  }
}

function describeQueue(position: number | undefined, seconds: number | undefined): string {
  const where = position ? `You are number ${position} in line` : 'You are in line';
  if (seconds === undefined) return `${where}.`;
  const minutes = Math.round(seconds / 60);
  return `${where}, ${seconds < 60 ? 'less than a minute' : minutes === 1 ? 'about 1 minute' : `about ${minutes} minutes`}.`;
}
