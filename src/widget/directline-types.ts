/**
 * The Direct Line 3.0 shapes the widget reads and writes (../shared/design/PROTOCOLS.md section 4,
 * docs/WEBCHAT.md). Only the fields the widget uses; everything arrives from the network, so
 * readers treat every field as possibly missing.
 */

export interface ChannelAccount {
  readonly id: string;
  readonly name?: string;
  readonly role?: 'user' | 'bot';
}

export interface Attachment {
  readonly contentType: string;
  readonly contentUrl?: string;
  readonly name?: string;
}

/** `channelData.switchboard` of the activities Switchboard sends. */
export interface SwitchboardData {
  readonly kind?: 'queue' | 'assigned' | 'notice' | 'ended';
  readonly senderRole?: 'agent' | 'bot' | 'system';
  readonly position?: number;
  readonly estimatedWaitSeconds?: number;
  readonly agent?: string;
  readonly csat?: boolean;
  /** The sender edited the message then (it comes again under its id). */
  readonly editedAt?: string;
  /** The sender deleted the message then: it comes again under its id, empty. */
  readonly deletedAt?: string;
}

export interface Activity {
  readonly type: string;
  readonly id?: string;
  readonly timestamp?: string;
  readonly from?: ChannelAccount;
  readonly text?: string;
  readonly attachments?: readonly Attachment[];
  readonly channelData?: { readonly clientActivityID?: string; readonly switchboard?: SwitchboardData; readonly [key: string]: unknown };
  readonly locale?: string;
}

/** What the stream frames and `GET .../activities` carry. */
export interface ActivitySet {
  readonly activities: readonly Activity[];
  readonly watermark?: string | null;
}

/** `POST /conversations`, `GET /conversations/{id}` and the token endpoints. */
export interface ConversationResponse {
  readonly conversationId: string;
  readonly token: string;
  readonly expires_in: number;
  readonly streamUrl?: string;
}
