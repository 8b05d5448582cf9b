import assert from 'node:assert/strict';
import { accessSync, constants } from 'node:fs';
import { after, afterEach, before, beforeEach } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/**
 * Real-browser tests: Debian's Chromium (`apt-get install chromium`, `.ci/run` installs it) driven
 * by playwright-core; never a browser Playwright downloads itself. `SWITCHBOARD_CHROMIUM` points at
 * another Chromium binary. Locally the browser suites skip with a notice when Chromium is missing;
 * with CI set they are required and fail instead.
 */
export const CHROMIUM_PATH = process.env.SWITCHBOARD_CHROMIUM ?? '/usr/bin/chromium';
export const BROWSER_REQUIRED = Boolean(process.env.CI);

/**
 * Playwright's default `chromiumSandbox: false` already passes `--no-sandbox` (needed as root in a
 * container, where Chromium's sandbox cannot start). The rest keep Chromium off the network: no
 * background requests (updates, sync, safe browsing), no QUIC, and no DNS lookups at all, so a page
 * can reach only loopback addresses.
 */
const LAUNCH_ARGS = [
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1, EXCLUDE [::1]',
];

/** Undefined when the Chromium binary is there and executable, or the reason it is not. */
export function chromiumProblem(): string | undefined {
  try {
    accessSync(CHROMIUM_PATH, constants.X_OK);
    return undefined;
  } catch (error) {
    return `${CHROMIUM_PATH}: ${(error as Error).message}`;
  }
}

/**
 * The skip option for a browser suite: false when it can run; a visible reason when Chromium is
 * missing and the suite is optional; throws when it is required (CI) but missing.
 */
export function browserSkip(): false | string {
  const problem = chromiumProblem();
  if (!problem) return false;
  if (BROWSER_REQUIRED) throw new Error(`Chromium is required when CI is set but is missing (${problem}); install Debian's chromium or set SWITCHBOARD_CHROMIUM`);
  const notice = `Chromium missing, browser suite skipped (${problem}; apt-get install chromium, or set SWITCHBOARD_CHROMIUM)`;
  process.stderr.write(`\n*** NOTICE: ${notice}\n`);
  return notice;
}

/** What went wrong in the page of one test; a clean page has all of them empty. */
export interface PageProblems {
  /** `console.error` calls and the errors Chromium logs to the console (a failed resource load, a CSP refusal). */
  readonly consoleErrors: string[];
  /** Uncaught exceptions and unhandled rejections in the page. */
  readonly pageErrors: string[];
  /** Requests that got no response: refused, aborted, or blocked because they left loopback. */
  readonly failedRequests: string[];
  /** Responses with a 4xx or 5xx status (a test that expects one filters it out). */
  readonly errorResponses: string[];
}

export interface BrowserHarness {
  /** The browser of this test file (launched in before()). */
  readonly browser: Browser;
  /** A fresh context (no cookies, no storage) for the current test. */
  readonly context: BrowserContext;
  /** A fresh page in that context for the current test. */
  readonly page: Page;
  /** What went wrong in the current test's context so far. */
  readonly problems: PageProblems;
  /** Asserts no console errors, page errors or failed requests (and no error responses unless allowed). */
  assertClean(options?: { allowErrorResponses?: boolean }): void;
}

function isLoopback(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return false;
  }
  return host === 'localhost' || host === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/**
 * Call inside a `describe`: one Chromium for the suite, a fresh context and page per test, closed
 * after each test; the browser closes in after(). Requests to anything but loopback (and the
 * `data:`/`blob:`/`about:` schemes) are aborted and reported in `failedRequests`, so a page that
 * tries to reach a CDN fails its test instead of touching the network.
 */
export function useBrowser(options: { timeoutMs?: number } = {}): BrowserHarness {
  const timeout = options.timeoutMs ?? 10_000;
  let browser: Browser | undefined;
  let current: { context: BrowserContext; page: Page; problems: PageProblems } | undefined;

  before(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: LAUNCH_ARGS, timeout: 30_000 });
  });
  after(async () => {
    await current?.context.close().catch(() => undefined);
    await browser?.close();
  });
  beforeEach(async () => {
    const context = await browser!.newContext();
    context.setDefaultTimeout(timeout);
    context.setDefaultNavigationTimeout(timeout);
    const problems: PageProblems = { consoleErrors: [], pageErrors: [], failedRequests: [], errorResponses: [] };
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (isLoopback(url) || /^(data|blob|about):/.test(url)) return route.fallback();
      return route.abort('blockedbyclient');
    });
    context.on('console', (message) => {
      if (message.type() === 'error') problems.consoleErrors.push(`${message.text()} (${message.location().url || 'page'})`);
    });
    context.on('weberror', (error) => problems.pageErrors.push(String(error.error())));
    context.on('requestfailed', (request) => problems.failedRequests.push(`${request.method()} ${request.url()}: ${request.failure()?.errorText ?? 'failed'}`));
    context.on('response', (response) => {
      if (response.status() >= 400) problems.errorResponses.push(`${response.request().method()} ${response.url()}: ${response.status()}`);
    });
    const page = await context.newPage();
    current = { context, page, problems };
  });
  afterEach(async () => {
    const closing = current;
    current = undefined;
    await closing?.context.close();
  });

  const active = () => {
    if (!current) throw new Error('no browser page: use the harness inside a test of the suite that called useBrowser()');
    return current;
  };
  return {
    get browser() {
      if (!browser) throw new Error('the browser is not launched yet (before() has not run)');
      return browser;
    },
    get context() { return active().context; },
    get page() { return active().page; },
    get problems() { return active().problems; },
    assertClean(opts = {}) {
      const { consoleErrors, pageErrors, failedRequests, errorResponses } = active().problems;
      assert.deepEqual(
        { consoleErrors, pageErrors, failedRequests, errorResponses: opts.allowErrorResponses ? [] : errorResponses },
        { consoleErrors: [], pageErrors: [], failedRequests: [], errorResponses: [] },
        'the page had problems',
      );
    },
  };
}
