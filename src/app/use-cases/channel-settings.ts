import type { ChannelType } from '../../core/model.js';
import { readWebchatSettings } from '../../core/webchat/webchat-settings.js';
import { SwitchboardError } from '../errors.js';

/** Refuses a channel config its channel type cannot use, listing every problem (web chat has a schema). */
export function checkChannelConfig(type: ChannelType, name: string, config: Readonly<Record<string, unknown>>): void {
  if (type !== 'webchat') return;
  const read = readWebchatSettings(config, name);
  if (!read.ok) throw new SwitchboardError('SB_ERR_INVALID_CHANNEL_SETTINGS', read.problems.join('; '), { problems: read.problems });
}
