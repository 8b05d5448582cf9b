/**
 * The demo bot of `npm start`: an ordinary `botbuilder` bot (CloudAdapter with
 * ConfigurationBotFrameworkAuthentication, anonymous, as a developer runs one locally) that
 * answers a few FAQs and hands over to people: "agent" or "human" (an escalate phrase the channel
 * catches), or a billing question (a `handoff.initiate` with `BotHandoffTopic: "Billing"`, which
 * the demo workstream routes to the Billing queue). It is served by Switchboard itself at
 * `/demo/bot/api/messages` so the demo needs no second process; Switchboard talks to it over HTTP
 * exactly as to any bot. botbuilder is loaded only when the demo runs.
 */
import type { FastifyInstance } from 'fastify';
import { botbuilderResponse } from './botbuilder-response.js';

export const DEMO_BOT_PATH = '/demo/bot/api/messages';

const FAQ: readonly { readonly match: RegExp; readonly answer: string }[] = [
  { match: /\b(hours?|open|opening|closed?)\b/i, answer: 'We are open Monday to Friday, 8:00 to 18:00, and Saturday 9:00 to 13:00.' },
  { match: /\b(ship|shipping|deliver|delivery|track)\w*/i, answer: 'Standard delivery takes 2 to 4 working days; you get a tracking link by e-mail when your parcel leaves us.' },
  { match: /\b(return|refund|exchange)\w*/i, answer: 'You can return anything within 30 days. Start a return from your order page; the refund follows within 5 days of our receiving it.' },
];
const BILLING = /\b(invoice|bill|billing|charged?|payment|paid|refund twice)\b/i;
const GREETING = 'Hi! I am the demo bot. Ask me about opening hours, delivery or returns. Billing questions go straight to our billing team, and you can say "agent" at any time to talk to a person.';
const HELP = 'I can help with opening hours, delivery and returns. For anything else, say "agent" and a person will take over.';

export async function demoBotRoutes(app: FastifyInstance): Promise<void> {
  const { CloudAdapter, ConfigurationBotFrameworkAuthentication, EventFactory, ActivityTypes } = await import('botbuilder');
  // Anonymous: no app id, so nothing is signed either way (docs/BOTS.md "Anonymous").
  const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({ MicrosoftAppId: '', MicrosoftAppPassword: '' }));
  adapter.onTurnError = async (context, error) => {
    app.log.warn({ err: error, conversationId: context.activity.conversation?.id }, 'the demo bot\'s turn failed');
  };

  app.post(DEMO_BOT_PATH, { config: { public: true }, schema: { hide: true } }, async (request, reply) => {
    reply.hijack();
    const raw = reply.raw;
    const response = botbuilderResponse(raw);
    try {
      await adapter.process({ body: request.body as Record<string, unknown>, headers: request.headers, method: request.method }, response, async (context) => {
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
    } catch (error) {
      app.log.warn({ err: error }, 'the demo bot could not process an activity');
      if (!raw.headersSent) raw.statusCode = 500;
      if (!raw.writableEnded) raw.end();
    }
  });
}
