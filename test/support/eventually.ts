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
