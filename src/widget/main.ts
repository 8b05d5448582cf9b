import { browserTransport } from './browser-transport.js';
import { ChatSession } from './chat-session.js';
import { fetchSettings } from './webchat-api.js';
import { WidgetView } from './ui/widget-view.js';

/**
 * The embeddable script: `<script src="{base}/webchat/widget.js" data-channel="chn_..." async>`.
 * It finds its own tag, reads the channel's settings from the Switchboard it was loaded from, and
 * mounts the launcher. A channel that does not exist, or a page whose origin the channel does not
 * trust, gets a console warning and no widget.
 */

interface Mounted {
  readonly session: ChatSession;
  readonly view: WidgetView;
}

const mounted = new Map<string, Mounted>();

/** `https://cc.example.com/webchat/widget.js` -> `https://cc.example.com` (a path prefix before /webchat is kept). */
export function baseFromScript(src: string): string {
  const url = new URL(src, location.href);
  const path = url.pathname.replace(/\/webchat\/widget\.js$/, '').replace(/\/$/, '');
  return `${url.origin}${path}`;
}

function ownScript(): HTMLScriptElement | null {
  const current = document.currentScript;
  if (current instanceof HTMLScriptElement && current.dataset.channel) return current;
  return document.querySelector<HTMLScriptElement>('script[data-channel][src*="/webchat/widget.js"]');
}

function newId(): string {
  if (typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}`;
}

function sessionStorageOrUndefined(): Storage | undefined {
  try {
    return window.sessionStorage;
  } catch {
    return undefined; // a sandboxed frame or blocked storage throws on access
  }
}

async function mount(channelId: string, base: string): Promise<void> {
  if (mounted.has(channelId)) return;
  const transport = browserTransport();
  let settings;
  try {
    settings = await fetchSettings(transport, base, channelId);
  } catch (error) {
    console.warn(`Switchboard web chat: channel ${channelId} is not available here (${(error as Error).message}).`);
    return;
  }
  let view: WidgetView | undefined;
  const session = new ChatSession({
    base, settings, transport, storage: sessionStorageOrUndefined(),
    locale: navigator.language,
    // Within the token request's limits: a long title or URL must not keep a customer from chatting.
    page: { url: location.href.slice(0, 2000), locale: navigator.language.slice(0, 35), title: document.title.slice(0, 300) },
    newId,
    onChange: () => view?.scheduleRender(),
  });
  const host = document.createElement('div');
  host.setAttribute('data-switchboard-webchat', channelId);
  document.body.appendChild(host);
  view = new WidgetView(host, session, base);
  mounted.set(channelId, { session, view });
  window.addEventListener('online', () => session.networkRestored());
  // Leaving the page closes the socket at once; coming back from the back/forward cache resumes.
  window.addEventListener('pagehide', () => session.close());
  window.addEventListener('pageshow', (event) => {
    if (event.persisted) void session.resume();
  });
  await session.resume();
}

function boot(): void {
  const script = ownScript();
  const channelId = script?.dataset.channel;
  if (!script || !channelId) {
    console.warn('Switchboard web chat: add data-channel="chn_..." to the widget\'s <script> tag.');
    return;
  }
  const base = script.dataset.base ?? baseFromScript(script.src);
  const go = () => void mount(channelId, base);
  if (document.body) go();
  else document.addEventListener('DOMContentLoaded', go, { once: true });
}

/** Opens the chat window (for a "Chat with us" link on the page). */
export function open(): void {
  for (const m of mounted.values()) m.view.open();
}

/** Closes the chat window; the conversation goes on. */
export function close(): void {
  for (const m of mounted.values()) m.view.close();
}

boot();
