/**
 * Retries an assertion until it holds or `timeoutMs` passes: for effects that follow a response
 * (audit entries, bus deliveries, socket frames). Give every `assert.ok` inside a message: a
 * failing one without a message makes Node parse the test file, which starves the event loop.
 */
export async function eventually(check: () => Promise<void> | void, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/**
 * Polls until `check` is true or `ms` passes, then fails naming `what`: for conditions that are
 * easier to state than to assert (a bot heard an activity, a conversation changed queue).
 */
export async function until(check: () => boolean | Promise<boolean>, what: string, ms = 8_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
