import type { Channel } from '../../core/model.js';
import { normalOrigin, readWebchatSettings } from '../../core/webchat/webchat-settings.js';

/**
 * Whether a page of `origin` may use the channel: pages Switchboard serves itself (its own
 * origin, `ownBase`) always, other sites only when the channel trusts their origin exactly.
 */
export function originAllowed(channel: Channel, origin: string, ownBase: string): boolean {
  const normal = normalOrigin(origin);
  if (normal === undefined) return false;
  if (normal === normalOrigin(ownBase)) return true;
  const read = readWebchatSettings(channel.config, channel.name);
  return read.ok && read.settings.trustedOrigins.includes(normal);
}
