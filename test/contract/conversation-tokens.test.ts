import { FastJwtConversationTokens } from '../../src/adapters/webchat/fast-jwt-conversation-tokens.js';
import { conversationTokensContract } from './conversation-tokens-contract.js';

conversationTokensContract('fast-jwt', () => new FastJwtConversationTokens());
