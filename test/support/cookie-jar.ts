/**
 * Just enough of a browser's cookie store for tests that walk redirect chains with
 * `fetch(..., { redirect: 'manual' })`: host-only and domain cookies, paths, Max-Age/Expires
 * (deletion included), Secure (sent over https and to loopback, as browsers do). Example:
 *
 *   const jar = new CookieJar();
 *   const res = await fetch(url, { redirect: 'manual', headers: jar.headersFor(url) });
 *   jar.storeFrom(url, res);
 */
interface StoredCookie {
  readonly name: string;
  readonly value: string;
  /** Lower-cased; for host-only cookies the exact host. */
  readonly domain: string;
  readonly hostOnly: boolean;
  readonly path: string;
  readonly secure: boolean;
  /** Epoch ms, or Infinity for a session cookie. */
  readonly expiresAt: number;
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(hostname);
}

/** RFC 6265 5.1.4: the directory of the request path. */
function defaultPath(pathname: string): string {
  if (!pathname.startsWith('/')) return '/';
  const last = pathname.lastIndexOf('/');
  return last <= 0 ? '/' : pathname.slice(0, last);
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

function domainMatches(host: string, cookie: StoredCookie): boolean {
  if (cookie.hostOnly) return host === cookie.domain;
  return host === cookie.domain || host.endsWith(`.${cookie.domain}`);
}

export class CookieJar {
  private cookies: StoredCookie[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  /** Reads every Set-Cookie header of a response to a request for `url`. */
  storeFrom(url: string | URL, response: Response): void {
    for (const header of response.headers.getSetCookie()) this.store(url, header);
  }

  /** One Set-Cookie header value, received for `url`. */
  store(url: string | URL, setCookie: string): void {
    const target = new URL(url);
    const host = target.hostname.toLowerCase();
    const [pair = '', ...attributes] = setCookie.split(';');
    const eq = pair.indexOf('=');
    if (eq <= 0) return;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    let domain = host;
    let hostOnly = true;
    let path = defaultPath(target.pathname);
    let secure = false;
    let expiresAt = Infinity;
    let maxAgeSeen = false;
    for (const attribute of attributes) {
      const i = attribute.indexOf('=');
      const key = (i < 0 ? attribute : attribute.slice(0, i)).trim().toLowerCase();
      const val = i < 0 ? '' : attribute.slice(i + 1).trim();
      if (key === 'max-age') {
        const seconds = Number(val);
        if (Number.isInteger(seconds)) {
          maxAgeSeen = true;
          expiresAt = seconds <= 0 ? -Infinity : this.now() + seconds * 1000;
        }
      } else if (key === 'expires' && !maxAgeSeen) {
        const at = Date.parse(val);
        if (!Number.isNaN(at)) expiresAt = at;
      } else if (key === 'domain' && val !== '') {
        const d = val.replace(/^\./, '').toLowerCase();
        if (host !== d && !host.endsWith(`.${d}`)) return; // a cookie for someone else's domain: rejected
        domain = d;
        hostOnly = false;
      } else if (key === 'path' && val.startsWith('/')) {
        path = val;
      } else if (key === 'secure') {
        secure = true;
      }
    }
    this.cookies = this.cookies.filter((c) => !(c.name === name && c.domain === domain && c.path === path));
    if (expiresAt > this.now()) this.cookies.push({ name, value, domain, hostOnly, path, secure, expiresAt });
  }

  /** The Cookie header value for a request to `url`, longest paths first; undefined when none apply. */
  cookieHeader(url: string | URL): string | undefined {
    const target = new URL(url);
    const host = target.hostname.toLowerCase();
    const now = this.now();
    this.cookies = this.cookies.filter((c) => c.expiresAt > now);
    const secureChannel = target.protocol === 'https:' || isLoopback(host);
    const matching = this.cookies
      .filter((c) => domainMatches(host, c) && pathMatches(target.pathname, c.path) && (!c.secure || secureChannel))
      .sort((a, b) => b.path.length - a.path.length);
    return matching.length ? matching.map((c) => `${c.name}=${c.value}`).join('; ') : undefined;
  }

  /** Headers to pass to fetch (empty when no cookie applies). */
  headersFor(url: string | URL): Record<string, string> {
    const cookie = this.cookieHeader(url);
    return cookie ? { cookie } : {};
  }

  /** Names of the cookies held for a host (for assertions). */
  namesFor(hostname: string): string[] {
    return this.cookies.filter((c) => domainMatches(hostname.toLowerCase(), c)).map((c) => c.name);
  }
}
