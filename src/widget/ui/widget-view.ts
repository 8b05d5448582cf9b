import type { ChatSession } from '../chat-session.js';
import { textOnAccent } from './accent.js';
import { ComposerView } from './composer-view.js';
import { h, icon, ICONS, setChildren } from './dom.js';
import { EndView } from './end-view.js';
import { PrechatView } from './prechat-view.js';
import { STYLES } from './styles.js';
import { TranscriptView } from './transcript-view.js';

/**
 * The launcher and the chat window in a shadow root. Renders the session's state whenever it
 * changes (coalesced to one render per task) and owns focus: opening moves focus into the window,
 * Escape or the close button puts it back on the launcher, and a change of step (form -> chat ->
 * survey) moves it to the new step's first control.
 */
export class WidgetView {
  readonly #root: HTMLElement;
  readonly #launcher: HTMLButtonElement;
  readonly #badge: HTMLElement;
  readonly #window: HTMLElement;
  readonly #connection: HTMLElement;
  readonly #problem: HTMLElement;
  readonly #prechat: PrechatView | undefined;
  readonly #transcript: TranscriptView;
  readonly #composer: ComposerView;
  readonly #end: EndView;
  readonly #shadow: ShadowRoot;
  #renderQueued = false;
  #typingTimer: ReturnType<typeof setTimeout> | undefined;
  #lastStep: string | undefined;

  readonly #session: ChatSession;

  constructor(host: HTMLElement, session: ChatSession, base: string) {
    this.#session = session;
    this.#shadow = host.attachShadow({ mode: 'open' });
    const settings = session.settings;
    adoptStyles(this.#shadow);

    const titleId = 'sb-title';
    const windowId = 'sb-window';
    this.#badge = h('span', { class: 'badge', 'aria-hidden': 'true', hidden: true });
    this.#launcher = h('button', { type: 'button', class: 'launcher', 'aria-controls': windowId, 'aria-expanded': 'false' }, icon(ICONS.chat), this.#badge);
    this.#launcher.addEventListener('click', () => (this.#session.open ? this.close() : this.open()));

    const close = h('button', { type: 'button', class: 'icon-button', 'aria-label': 'Close chat' }, icon(ICONS.close));
    close.addEventListener('click', () => this.close());
    this.#connection = h('div', { class: 'connection', role: 'status', hidden: true });
    this.#problem = h('p', { class: 'error padded', role: 'alert' });
    this.#prechat = settings.prechatFields.length > 0
      ? new PrechatView(settings, (request) => void session.start(request))
      : undefined;
    this.#transcript = new TranscriptView(base, (id) => void session.retry(id));
    this.#composer = new ComposerView({
      send: (text) => void session.send(text),
      attach: (files, caption) => void session.attach(files, files.map((f) => f.name), caption),
      typing: () => session.typing(),
    });
    this.#end = new EndView(session, () => this.#session.newChat());

    this.#window = h('section', { id: windowId, class: 'sb-window', role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': titleId, hidden: true },
      h('header', { class: 'header' }, h('h2', { id: titleId }, settings.title), close),
      this.#connection,
      h('div', { class: 'body' }, this.#prechat?.el, this.#transcript.el, this.#problem, this.#composer.el, this.#end.el));
    this.#window.addEventListener('keydown', (event) => {
      if (event.key !== 'Escape') return;
      event.stopPropagation();
      this.close();
    });

    this.#root = h('div', { class: 'sb', 'data-testid': 'switchboard-webchat' }, this.#window, this.#launcher);
    if (settings.accentColor) {
      this.#root.style.setProperty('--sb-accent', settings.accentColor);
      this.#root.style.setProperty('--sb-on-accent', textOnAccent(settings.accentColor));
    }
    this.#shadow.appendChild(this.#root);
    this.#render();
  }

  /** Renders soon: several changes in one task give one render. */
  scheduleRender(): void {
    if (this.#renderQueued) return;
    this.#renderQueued = true;
    queueMicrotask(() => {
      this.#renderQueued = false;
      this.#render();
    });
  }

  open(): void {
    this.#session.setOpen(true);
    this.#render();
    this.#focusStep();
  }

  close(): void {
    this.#session.setOpen(false);
    this.#render();
    this.#launcher.focus();
  }

  #step(): 'form' | 'chat' | 'end' {
    const s = this.#session;
    if (s.phase === 'ended' || s.phase === 'expired') return 'end';
    if (this.#prechat && (s.phase === 'new' || s.phase === 'starting')) return 'form';
    return 'chat';
  }

  #render(): void {
    const s = this.#session;
    const step = this.#step();
    const focused = this.#shadow.activeElement;
    const title = s.settings.title;
    this.#launcher.setAttribute('aria-expanded', String(s.open));
    this.#launcher.setAttribute('aria-label', s.open ? `Close chat: ${title}` : `Open chat: ${title}${s.unread > 0 ? ` (${s.unread} unread)` : ''}`);
    this.#badge.hidden = s.open || s.unread === 0;
    setChildren(this.#badge, String(Math.min(s.unread, 99)));
    this.#window.hidden = !s.open;

    this.#renderConnection();
    if (this.#prechat) {
      this.#prechat.el.hidden = step !== 'form';
      this.#prechat.update(s.phase === 'starting', s.fieldProblems, s.problem);
    }
    this.#transcript.el.hidden = step === 'form';
    if (step !== 'form') this.#transcript.update(s.store, Date.now());
    this.#composer.el.hidden = step !== 'chat';
    this.#composer.setEnabled(s.connection !== 'conflict');
    this.#end.el.hidden = step !== 'end';
    this.#end.update();
    setChildren(this.#problem, step === 'chat' && s.problem ? s.problem : '');

    const stepChanged = this.#lastStep !== undefined && this.#lastStep !== step;
    this.#lastStep = step;
    // Focus follows the step; and a control that was hidden or disabled under the focus (the
    // survey once sent, the form's button while starting) hands it on instead of dropping it on
    // the page, where Escape and Tab would no longer be the widget's.
    // (Checked on the element itself: browsers move the focus off a hidden control only later.)
    const dropped = !!focused && this.#window.contains(focused) && (!!focused.closest('[hidden]') || (focused as HTMLButtonElement).disabled === true);
    if (s.open && (dropped || (stepChanged && (this.#focusIsInside() || document.activeElement === document.body)))) this.#focusStep();
    this.#scheduleTypingExpiry();
  }

  #renderConnection(): void {
    const status = this.#session.connection;
    const bar = this.#connection;
    if (status === 'reconnecting' || status === 'connecting' && this.#session.phase === 'chat' && this.#session.store.messages().length > 0) {
      bar.hidden = false;
      setChildren(bar, 'Connection lost. Reconnecting…');
    } else if (status === 'conflict') {
      bar.hidden = false;
      setChildren(bar, 'This chat is open in another window.', h('button', { type: 'button', onclick: () => this.#session.takeOver() }, 'Continue here'));
    } else {
      bar.hidden = true;
      setChildren(bar);
    }
  }

  #focusStep(): void {
    const step = this.#step();
    if (step === 'form') this.#prechat!.focus();
    else if (step === 'chat') this.#composer.focus();
    else this.#end.focus();
  }

  #focusIsInside(): boolean {
    const active = this.#shadow.activeElement;
    return !!active && this.#window.contains(active);
  }

  /** Typing indicators run out without any event: render again when the next one does. */
  #scheduleTypingExpiry(): void {
    if (this.#typingTimer) clearTimeout(this.#typingTimer);
    this.#typingTimer = undefined;
    const now = Date.now();
    const next = this.#session.store.typing.nextExpiry(now);
    if (next !== undefined) this.#typingTimer = setTimeout(() => this.#render(), next - now + 20);
  }
}

/**
 * Constructable stylesheets where the browser has them: a host page whose Content-Security-Policy
 * forbids inline styles still shows the widget styled. Else a <style> element.
 */
function adoptStyles(shadow: ShadowRoot): void {
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(STYLES);
    shadow.adoptedStyleSheets = [sheet];
    return;
  } catch {
    // older browsers
  }
  const style = document.createElement('style');
  style.textContent = STYLES;
  shadow.appendChild(style);
}
