/**
 * The demo bot of `npm start`: an ordinary `botbuilder` bot (CloudAdapter with
 * ConfigurationBotFrameworkAuthentication, anonymous, as a developer runs one locally) that
 * answers a few FAQs and hands over to people: "agent" or "human" (an escalate phrase the channel
 * catches), or a billing question (a `handoff.initiate` with `BotHandoffTopic: "Billing"`, which
 * the demo workstream routes to the Billing queue). It is served by Switchboard itself at
 * `/demo/bot/api/messages` so the demo needs no second process; Switchboard talks to it over HTTP
 * exactly as to any bot. A second one, the reply adviser, is an assist bot an agent can invite
 * into a conversation (`/demo/adviser/api/messages`). botbuilder is loaded only when the demo runs.
 */
import type { TurnContext } from 'botbuilder';
import type { FastifyInstance } from 'fastify';
import { botbuilderResponse } from './botbuilder-response.js';

export const DEMO_BOT_PATH = '/demo/bot/api/messages';
/** The demo's assist bot (invited from the workspace's "Assist bots…"): it suggests replies to the agent. */
export const DEMO_ADVISER_PATH = '/demo/adviser/api/messages';

const FAQ: readonly { readonly match: RegExp; readonly answer: string }[] = [
  { match: /\b(hours?|open|opening|closed?)\b/i, answer: 'We are open Monday to Friday, 8:00 to 18:00, and Saturday 9:00 to 13:00.' },
  { match: /\b(ship|shipping|deliver|delivery|track)\w*/i, answer: 'Standard delivery takes 2 to 4 working days; you get a tracking link by e-mail when your parcel leaves us.' },
  { match: /\b(return|refund|exchange)\w*/i, answer: 'You can return anything within 30 days. Start a return from your order page; the refund follows within 5 days of our receiving it.' },
];
const BILLING = /\b(invoice|bill|billing|charged?|payment|paid|refund twice)\b/i;
const GREETING = 'Hi! I am the demo bot. Ask me about opening hours, delivery or returns. Billing questions go straight to our billing team, and you can say "agent" at any time to talk to a person.';
const HELP = 'I can help with opening hours, delivery and returns. For anything else, say "agent" and a person will take over.';

/** What the adviser suggests for a customer's message: the FAQ answer, or what an agent would ask next. */
function adviserSuggestion(text: string): string {
  const faq = FAQ.find((f) => f.match.test(text));
  if (faq) return `Suggested reply: "${faq.answer}"`;
  if (BILLING.test(text)) return 'Suggested: ask for the invoice number and check the payment in the billing system before promising a refund.';
  return 'Suggested: ask for the order number so you can look it up.';
}

export async function demoBotRoutes(app: FastifyInstance): Promise<void> {
  const { CloudAdapter, ConfigurationBotFrameworkAuthentication, EventFactory, ActivityTypes } = await import('botbuilder');
  // Anonymous: no app id, so nothing is signed either way (docs/BOTS.md "Anonymous").
  const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({ MicrosoftAppId: '', MicrosoftAppPassword: '' }));
  adapter.onTurnError = async (context, error) => {
    app.log.warn({ err: error, conversationId: context.activity.conversation?.id }, 'the demo bot\'s turn failed');
  };
  const serve = (path: string, logic: (context: TurnContext) => Promise<void>) => app.post(path, { config: { public: true }, schema: { hide: true } }, async (request, reply) => {
    reply.hijack();
    const raw = reply.raw;
    const response = botbuilderResponse(raw);
    try {
      await adapter.process({ body: request.body as Record<string, unknown>, headers: request.headers, method: request.method }, response, logic);
    } catch (error) {
      app.log.warn({ err: error }, 'a demo bot could not process an activity');
      if (!raw.headersSent) raw.statusCode = 500;
      if (!raw.writableEnded) raw.end();
    }
  });

  // The adviser hears the customer and the agent (channelData.switchboard.senderRole) and answers the customer's turns.
  serve(DEMO_ADVISER_PATH, async (context) => {
    const a = context.activity;
    const role = (a.channelData as { switchboard?: { senderRole?: string } } | undefined)?.switchboard?.senderRole;
    if (a.type === ActivityTypes.Message && role === 'customer') await context.sendActivity(adviserSuggestion(a.text ?? ''));
  });

  serve(DEMO_BOT_PATH, async (context) => {
    const a = context.activity;
    if (a.type === ActivityTypes.ConversationUpdate && (a.membersAdded ?? []).some((m) => m.id !== a.recipient.id)) {
      await context.sendActivity(GREETING);
      return;
    }
    if (a.type !== ActivityTypes.Message) return;
    const text = a.text ?? '';
    if (BILLING.test(text)) {
      await context.sendActivity('Let me get you to our billing team.');
      await context.sendActivity(EventFactory.createHandoffInitiation(context, { BotHandoffTopic: 'Billing', MessageToAgent: `Billing question from the customer: "${text.slice(0, 300)}"` }));
      return;
    }
    const faq = FAQ.find((f) => f.match.test(text));
    await context.sendActivity(faq?.answer ?? HELP);
  });
}
