import type { Activity, ActivitySet, Attachment, SwitchboardData } from './directline-types.js';
import { TypingTracker } from './typing-tracker.js';
import { nextWatermark, sequenceOf } from './watermark.js';

/**
 * The conversation as the customer sees it, built from ActivitySets however they arrive: stream
 * frames, polling pages, the replay after a reconnect, the history after a page reload. The same
 * activity may come several times and frames may overlap, so messages are keyed by activity id
 * and kept in sequence order; nothing here knows about sockets, timers or the DOM.
 */

export type Sender = 'self' | 'agent' | 'bot' | 'system';
export type DeliveryStatus = 'sent' | 'sending' | 'failed';

export interface TranscriptMessage {
  /**
   * Stable across the message's life: `client:{clientActivityID}` for our own messages, pending
   * and echoed alike (a view keeps the same node, so a screen reader announces it once), the
   * activity id for everyone else's.
   */
  readonly key: string;
  readonly id: string | undefined;
  readonly seq: number | undefined;
  readonly sender: Sender;
  readonly senderName: string | undefined;
  readonly text: string;
  readonly textFormat: 'markdown' | 'plain';
  readonly attachments: readonly Attachment[];
  readonly timestamp: string | undefined;
  readonly clientActivityId: string | undefined;
  readonly status: DeliveryStatus;
  /** Switchboard's own lines (an agent joined, a notice), shown apart from the bubbles. */
  readonly notice: 'assigned' | 'notice' | undefined;
  /** Its sender changed it after sending (`switchboard.editedAt`). */
  readonly edited: boolean;
}

/** The waiting banner: from the latest `kind: "queue"` message, until an agent takes over. */
export interface QueueStatus {
  readonly text: string;
  readonly position: number | undefined;
  readonly estimatedWaitSeconds: number | undefined;
}

export interface EndState {
  /** `channelData.switchboard.csat`: offer the satisfaction survey. */
  readonly csat: boolean;
}

export interface ApplyResult {
  /** Messages that were not in the transcript before this set (for the unread count). */
  readonly added: readonly TranscriptMessage[];
  /** Anything visible changed: messages, queue banner, typing, end. */
  readonly changed: boolean;
}

export interface PendingMessage {
  readonly clientActivityId: string;
  readonly text: string;
  readonly attachments?: readonly Attachment[];
}

/** Where an activity stands in the conversation: its sequence, or after the last one seen, by arrival. */
interface Place {
  readonly seq: number;
  readonly arrival: number;
}

interface Stored {
  readonly message: TranscriptMessage;
  readonly place: Place;
}

function before(a: Place, b: Place): boolean {
  return a.seq < b.seq || (a.seq === b.seq && a.arrival < b.arrival);
}

export class TranscriptStore {
  readonly #confirmed: Stored[] = [];
  readonly #seen = new Set<string>();
  /** Our own messages not yet echoed by the server, by clientActivityID, in the order written. */
  readonly #pending = new Map<string, TranscriptMessage>();
  #arrivals = 0;
  #highestSeq = 0;
  #queuePlace: Place | undefined;
  #statusPlace: Place | undefined;
  #watermark: string | undefined;
  #queue: QueueStatus | undefined;
  #ended: EndState | undefined;
  readonly typing: TypingTracker;
  #userId: string | undefined;

  constructor(options: { userId?: string; watermark?: string; typingTimeoutMs?: number } = {}) {
    this.#userId = options.userId;
    this.#watermark = options.watermark;
    this.typing = new TypingTracker(options.typingTimeoutMs);
  }

  get watermark(): string | undefined {
    return this.#watermark;
  }

  get queue(): QueueStatus | undefined {
    return this.#queue;
  }

  get ended(): EndState | undefined {
    return this.#ended;
  }

  /** The customer's Direct Line user id: their echoed messages are "self". */
  setUserId(userId: string): void {
    this.#userId = userId;
  }

  /** Confirmed messages in conversation order, then our pending ones in the order they were written. */
  messages(): TranscriptMessage[] {
    return [...this.#confirmed.map((s) => s.message), ...this.#pending.values()];
  }

  apply(set: ActivitySet, now: number): ApplyResult {
    const added: TranscriptMessage[] = [];
    let changed = false;
    for (const activity of Array.isArray(set.activities) ? set.activities : []) {
      if (this.#applyOne(activity, now, added)) changed = true;
    }
    this.#watermark = nextWatermark(this.#watermark, set.watermark);
    return { added, changed };
  }

  /** A message we are sending: shown at once, replaced by the server's copy when its echo arrives. */
  addPending(message: PendingMessage): TranscriptMessage {
    const entry: TranscriptMessage = {
      key: `client:${message.clientActivityId}`, id: undefined, seq: undefined, sender: 'self', senderName: undefined,
      text: message.text, textFormat: 'plain', attachments: message.attachments ?? [], timestamp: undefined,
      clientActivityId: message.clientActivityId, status: 'sending', notice: undefined, edited: false,
    };
    this.#pending.set(message.clientActivityId, entry);
    return entry;
  }

  /** The post of a pending message succeeded or gave up; a no-op once the echo has replaced it. */
  markPending(clientActivityId: string, status: DeliveryStatus): boolean {
    const entry = this.#pending.get(clientActivityId);
    if (!entry || entry.status === status) return false;
    this.#pending.set(clientActivityId, { ...entry, status });
    return true;
  }

  pendingMessage(clientActivityId: string): TranscriptMessage | undefined {
    return this.#pending.get(clientActivityId);
  }

  #applyOne(activity: Activity, now: number, added: TranscriptMessage[]): boolean {
    if (!activity || typeof activity !== 'object') return false;
    const fromId = activity.from?.id;
    const self = this.#isSelf(activity);
    if (activity.type === 'typing') {
      // Typing is never stored and has no place in the order; our own echo is ignored.
      if (self || !fromId || this.#ended) return false;
      this.typing.start(fromId, activity.from?.name, now);
      return true;
    }
    const sb0: SwitchboardData = activity.channelData?.switchboard ?? {};
    if (activity.id !== undefined) {
      // The same id again is a replay, or the message as its sender changed it (an edit, a delete).
      if (this.#seen.has(activity.id)) return activity.type === 'message' && this.#revise(activity, sb0);
      this.#seen.add(activity.id);
      // Deleted before we ever had it: nothing to show.
      if (sb0.deletedAt !== undefined) return false;
    }
    const seq = sequenceOf(activity.id);
    const place: Place = { seq: seq ?? this.#highestSeq, arrival: this.#arrivals++ };
    if (seq !== undefined && seq > this.#highestSeq) this.#highestSeq = seq;

    if (activity.type === 'endOfConversation') {
      this.#ended = { csat: activity.channelData?.switchboard?.csat === true };
      this.#queue = undefined;
      this.typing.clear();
      return true;
    }
    if (activity.type !== 'message') return false;

    const sb: SwitchboardData = activity.channelData?.switchboard ?? {};
    if (sb.kind === 'queue') return this.#applyQueue(activity, sb, place);

    const message = this.#toMessage(activity, sb, seq, self);
    if (fromId) this.typing.stop(fromId);
    if (message.sender === 'agent' || message.sender === 'bot' || sb.kind === 'assigned') this.#statusChanged(place);
    if (message.clientActivityId !== undefined && self) this.#pending.delete(message.clientActivityId);
    this.#insert({ message, place });
    added.push(message);
    return true;
  }

  /**
   * A message we hold, sent again under its id: deleted (removed from the transcript), or edited
   * (its content replaced in its place). A plain replay, or an edit we already show, changes nothing.
   */
  #revise(activity: Activity, sb: SwitchboardData): boolean {
    const i = this.#confirmed.findIndex((s) => s.message.id === activity.id);
    if (i < 0) return false;
    const held = this.#confirmed[i]!;
    if (sb.deletedAt !== undefined) {
      this.#confirmed.splice(i, 1);
      return true;
    }
    if (sb.editedAt === undefined) return false;
    const next = this.#toMessage(activity, sb, held.message.seq, held.message.sender === 'self');
    const same = next.text === held.message.text && next.edited === held.message.edited
      && next.attachments.length === held.message.attachments.length && next.attachments.every((a, k) => a.contentUrl === held.message.attachments[k]!.contentUrl && a.name === held.message.attachments[k]!.name);
    if (same) return false;
    this.#confirmed[i] = { message: { ...next, key: held.message.key }, place: held.place };
    return true;
  }

  #applyQueue(activity: Activity, sb: SwitchboardData, place: Place): boolean {
    // Only the latest queue message counts: a replayed older one must not bring back an old position.
    if (this.#queuePlace && before(place, this.#queuePlace)) return false;
    this.#queuePlace = place;
    if (this.#ended || (this.#statusPlace && before(place, this.#statusPlace))) return false;
    this.#queue = {
      text: activity.text ?? '',
      position: typeof sb.position === 'number' ? sb.position : undefined,
      estimatedWaitSeconds: typeof sb.estimatedWaitSeconds === 'number' ? sb.estimatedWaitSeconds : undefined,
    };
    return true;
  }

  /** Someone took the conversation at `place`: a queue banner from before then is over. */
  #statusChanged(place: Place): void {
    if (this.#statusPlace && before(place, this.#statusPlace)) return;
    this.#statusPlace = place;
    if (this.#queuePlace && before(this.#queuePlace, place)) this.#queue = undefined;
  }

  #isSelf(activity: Activity): boolean {
    return activity.from?.role === 'user' || (this.#userId !== undefined && activity.from?.id === this.#userId);
  }

  #toMessage(activity: Activity, sb: SwitchboardData, seq: number | undefined, self: boolean): TranscriptMessage {
    const system = !self && (activity.from?.id === 'switchboard' || sb.kind === 'assigned' || sb.kind === 'notice' || sb.senderRole === 'system');
    const sender: Sender = self ? 'self' : system ? 'system' : sb.senderRole === 'bot' ? 'bot' : 'agent';
    const cid = activity.channelData?.clientActivityID;
    const clientActivityId = typeof cid === 'string' && cid !== '' ? cid : undefined;
    return {
      key: self && clientActivityId ? `client:${clientActivityId}` : activity.id ?? `arrival:${this.#arrivals}`,
      id: activity.id,
      seq,
      sender,
      senderName: activity.from?.name,
      text: typeof activity.text === 'string' ? activity.text : '',
      // Customers type plain text; what agents and bots send may use the markdown subset.
      textFormat: self ? 'plain' : 'markdown',
      attachments: Array.isArray(activity.attachments) ? activity.attachments.filter((a) => a && typeof a.contentType === 'string') : [],
      timestamp: activity.timestamp,
      clientActivityId,
      status: 'sent',
      notice: system ? (sb.kind === 'assigned' ? 'assigned' : 'notice') : undefined,
      edited: typeof sb.editedAt === 'string',
    };
  }

  #insert(stored: Stored): void {
    // Frames arrive mostly in order: scan from the end.
    let i = this.#confirmed.length;
    while (i > 0 && before(stored.place, this.#confirmed[i - 1]!.place)) i--;
    this.#confirmed.splice(i, 0, stored);
  }
}
