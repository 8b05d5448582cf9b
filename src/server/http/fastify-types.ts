import type { Caller } from '../../app/caller.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authentication hook on every non-public route. */
    caller: Caller;
  }
  interface FastifyContextConfig {
    /** Routes reachable without credentials (health, readiness, API description). */
    public?: boolean;
  }
}
