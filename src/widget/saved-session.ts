/**
 * What survives a page reload, in sessionStorage (per tab, gone when the tab closes): the
 * conversation, its token and the last watermark, so the same conversation resumes; plus whether
 * the window was open and the survey already answered. The transcript itself is read again from
 * the server, which holds the truth; the watermark is the fallback when that read fails.
 */
export interface SavedSession {
  readonly conversationId: string;
  readonly token: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
  readonly userId: string;
  readonly watermark?: string | undefined;
  readonly open?: boolean | undefined;
  readonly csatDone?: boolean | undefined;
}

/** `window.sessionStorage`, or anything with its three methods. */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export class SessionMemory {
  readonly #key: string;

  /** `storage` may be undefined or throw (storage disabled, Safari private mode): the chat still works, without resuming. */
  readonly #storage: KeyValueStorage | undefined;

  constructor(storage: KeyValueStorage | undefined, channelId: string) {
    this.#storage = storage;
    this.#key = `switchboard.webchat.${channelId}`;
  }

  load(now: number): SavedSession | undefined {
    let raw: string | null = null;
    try {
      raw = this.#storage?.getItem(this.#key) ?? null;
    } catch {
      return undefined;
    }
    if (!raw) return undefined;
    let value: Partial<SavedSession>;
    try {
      value = JSON.parse(raw) as Partial<SavedSession>;
    } catch {
      this.clear();
      return undefined;
    }
    const valid = typeof value.conversationId === 'string' && typeof value.token === 'string' && typeof value.userId === 'string'
      && typeof value.expiresAt === 'number' && (value.watermark === undefined || typeof value.watermark === 'string');
    // An expired token cannot be refreshed: the conversation cannot be resumed from this tab.
    if (!valid || value.expiresAt! <= now) {
      this.clear();
      return undefined;
    }
    return value as SavedSession;
  }

  save(session: SavedSession): void {
    try {
      this.#storage?.setItem(this.#key, JSON.stringify(session));
    } catch {
      // Quota or disabled storage: resuming after a reload is a convenience, not a requirement.
    }
  }

  /** Changes some fields of the saved session; nothing when there is none. */
  update(now: number, change: Partial<SavedSession>): void {
    const current = this.load(now);
    if (current) this.save({ ...current, ...change });
  }

  clear(): void {
    try {
      this.#storage?.removeItem(this.#key);
    } catch {
      // see save()
    }
  }
}
