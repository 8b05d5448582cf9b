import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BotTx } from '../../src/app/ports/bot-storage.js';
import type { BotConversation, BotDelivery, NewBotDelivery } from '../../src/core/bots/bot-model.js';
import { DEFAULT_ENTRA, HEALTHY, type BotRegistration } from '../../src/core/bots/bot-registration.js';
import type { StorageHarness } from './storage-contract.js';
import { raceTransactions } from '../support/race.js';

const BASE = Date.UTC(2026, 0, 1, 9, 0, 0);
/** An instant `s` seconds after the base, as the ISO text the ports use for timestamps. */
const at = (s: number): string => new Date(BASE + s * 1000).toISOString();
/** The same instant as epoch ms, as deliveries hold their next attempt. */
const ms = (s: number): number => BASE + s * 1000;

/**
 * The behaviour every Storage adapter must have for the Bot Framework channel (`storage.read.bots`,
 * `tx.bots`). Besides faithful round trips, the outbox carries "nothing lost, nothing twice": a
 * delivery is queued once per dedupe key, an attempt is recorded only on a pending delivery, and the
 * dispatch cursor moves only from the value the caller read, so two nodes never both claim one
 * stretch of the event log. Each conditional write is checked both ways, and under real concurrency.
 */
export function botStorageContract(name: string, open: () => Promise<StorageHarness>, skip: false | string = false): void {
  describe(`Bot storage contract: ${name}`, { skip }, () => {
    let harness: StorageHarness;
    let counter = 0;
    /** Ids unique in the database the whole suite shares, sortable in creation order. */
    const id = (prefix: string): string => `${prefix}_${String(++counter).padStart(8, '0')}`;

    before(async () => {
      harness = await open();
      await harness.storage.migrate();
    });
    after(async () => {
      await harness?.storage.close();
      await harness?.cleanup();
    });

    const reads = () => harness.storage.read.bots;
    const write = <T>(work: (bots: BotTx) => Promise<T>): Promise<T> => harness.storage.transaction((tx) => work(tx.bots));

    /** A tenant row (everything bot-related refers to one). */
    async function tenant(h: StorageHarness = harness, label = 'Acme'): Promise<string> {
      const tenantId = id('ten');
      await h.storage.transaction((tx) => tx.insertTenant({ id: tenantId, name: label, createdAt: at(0) }));
      return tenantId;
    }

    /** `count` transactions at once, really overlapping on PostgreSQL (test/support/race.ts). */
    const race = <T>(count: number, work: (bots: BotTx, i: number, together: () => Promise<void>) => Promise<T>): Promise<T[]> =>
      raceTransactions(harness.storage, name.startsWith('PostgreSQL'), count, (tx, i, together) => work(tx.bots, i, together));

    // ---- builders: every field set unless the patch says otherwise --------------------------

    const botOf = (tenantId: string, patch: Partial<BotRegistration> = {}): BotRegistration => ({
      id: id('agt'), tenantId, messagingEndpoint: 'https://bots.example.com/api/messages?region=eu&x=1', state: 'active', authMode: 'entra',
      entra: { jwksUri: 'https://login.example.com/keys', audience: 'api://switchboard-bot', tenantIds: ['0d4f7c2e-1b3a-4c5d-8e9f-0a1b2c3d4e5f'] },
      role: 'primary', escalatePhrases: { en: ['talk to a human', 'agent'], 'de-ch': ['mit einem menschen sprechen'], '*': ['«help»'] },
      bridgedOnly: true, assistQueueIds: [],
      health: { status: 'unhealthy', consecutiveFailures: 3, lastFailureAt: at(5), lastError: 'HTTP 503' },
      createdAt: at(1), updatedAt: at(2), ...patch,
    });

    const partOf = (tenantId: string, botId: string, patch: Partial<BotConversation> = {}): BotConversation => ({
      tenantId, conversationId: id('cnv'), botId, role: 'primary', state: 'active', queueId: null, boundAt: at(10), escalatedAt: null,
      escalationTrigger: null, escalationContext: null, escalationSummary: null, transcript: null, handoffState: null, acceptedAt: null,
      endedAt: null, endedByBot: false, ...patch,
    });

    const deliveryOf = (tenantId: string, botId: string, conversationId: string, patch: Partial<NewBotDelivery> = {}): NewBotDelivery => ({
      tenantId, botId, conversationId, dedupeKey: `${id('evt')}:${botId}`,
      activity: { type: 'message', text: 'Grüße «hello» 👋', channelData: { deliveryMode: 'bridged', nested: { n: 1, ok: true, none: null } }, entities: [] },
      nextAttemptAt: ms(20), createdAt: at(20), ...patch,
    });

    /** What a freshly queued delivery reads back as. */
    const queued = (d: NewBotDelivery, deliveryId: number): BotDelivery => ({ ...d, id: deliveryId, status: 'pending', attempts: 0, lastError: null, doneAt: null });

    /** Queues the deliveries in order (each must be new) and returns them as read back, with their ids. */
    async function enqueue(h: StorageHarness, ...deliveries: NewBotDelivery[]): Promise<BotDelivery[]> {
      const out: BotDelivery[] = [];
      for (const d of deliveries) {
        assert.equal(await h.storage.transaction((tx) => tx.bots.insertDelivery(d)), true, `queued ${d.dedupeKey}`);
        const mine = (await h.storage.read.bots.listDeliveries(d.tenantId, d.conversationId)).filter((x) => x.dedupeKey === d.dedupeKey);
        assert.equal(mine.length, 1);
        out.push(mine[0]!);
      }
      return out;
    }

    /** A database of its own, for what reads across tenants (the due outbox) and must start empty. */
    async function alone<T>(work: (h: StorageHarness) => Promise<T>): Promise<T> {
      const h = await open();
      try {
        await h.storage.migrate();
        return await work(h);
      } finally {
        await h.storage.close();
        await h.cleanup();
      }
    }

    // ---- registrations ----------------------------------------------------------------------

    it('round-trips registrations with every field, Entra settings set and null, oldest first', async () => {
      const tenantId = await tenant();
      const later = botOf(tenantId, { createdAt: at(3), updatedAt: at(3) });
      const anonymous = botOf(tenantId, {
        authMode: 'none', entra: null, role: 'assist', bridgedOnly: false, assistQueueIds: ['que_assisted'], state: 'disconnected', escalatePhrases: {}, health: HEALTHY,
        createdAt: at(1), updatedAt: at(1),
      });
      const defaults = botOf(tenantId, { entra: DEFAULT_ENTRA, createdAt: at(2), updatedAt: at(4) });
      // Inserted out of creation order: the list is by creation time, not by insertion.
      await write(async (b) => {
        for (const bot of [later, anonymous, defaults]) assert.equal(await b.insertBot(bot), true);
      });
      assert.deepEqual(await reads().getBot(tenantId, later.id), later);
      assert.deepEqual(await reads().getBot(tenantId, anonymous.id), anonymous);
      assert.deepEqual(await reads().getBot(tenantId, defaults.id), defaults);
      assert.equal((await reads().getBot(tenantId, anonymous.id))!.entra, null);
      assert.deepEqual(await reads().listBots(tenantId), [anonymous, defaults, later]);
      assert.equal(await reads().getBot(tenantId, 'agt_missing'), undefined);
      // Reads inside a transaction see the same.
      assert.deepEqual(await write((b) => b.listBots(tenantId)), [anonymous, defaults, later]);
    });

    it('a second registration for the same agent is refused and changes nothing; another tenant may use the id', async () => {
      const tenantId = await tenant();
      const other = await tenant();
      const bot = botOf(tenantId);
      assert.equal(await write((b) => b.insertBot(bot)), true);
      const again = botOf(tenantId, { id: bot.id, messagingEndpoint: 'https://elsewhere.example.com/', role: 'assist', createdAt: at(9) });
      assert.equal(await write((b) => b.insertBot(again)), false);
      assert.deepEqual(await reads().getBot(tenantId, bot.id), bot);
      assert.deepEqual(await reads().listBots(tenantId), [bot]);
      const theirs = botOf(other, { id: bot.id, authMode: 'switchboard', entra: null });
      assert.equal(await write((b) => b.insertBot(theirs)), true);
      assert.deepEqual(await reads().getBot(other, bot.id), theirs);
      assert.deepEqual(await reads().getBot(tenantId, bot.id), bot);
    });

    it('a registration needs an existing tenant', async () => {
      await assert.rejects(write((b) => b.insertBot(botOf(id('ten_missing')))));
    });

    it('updateBot replaces the settings and updatedAt but keeps health and createdAt', async () => {
      const tenantId = await tenant();
      const bot = botOf(tenantId);
      const neighbour = botOf(tenantId);
      await write(async (b) => { await b.insertBot(bot); await b.insertBot(neighbour); });
      const changed: BotRegistration = {
        ...bot, messagingEndpoint: 'http://localhost:3978/api/messages', state: 'disconnected', authMode: 'switchboard', entra: null,
        role: 'assist', escalatePhrases: { fr: ['parler à un agent'] }, bridgedOnly: false, assistQueueIds: ['que_1', 'que_2'], updatedAt: at(30),
        // Neither of these may be written by updateBot.
        health: HEALTHY, createdAt: at(29),
      };
      assert.equal(await write((b) => b.updateBot(changed)), true);
      assert.deepEqual(await reads().getBot(tenantId, bot.id), { ...changed, health: bot.health, createdAt: bot.createdAt });
      // And back to Entra with settings.
      const back: BotRegistration = { ...changed, authMode: 'entra', entra: DEFAULT_ENTRA, bridgedOnly: true, updatedAt: at(31) };
      assert.equal(await write((b) => b.updateBot(back)), true);
      assert.deepEqual(await reads().getBot(tenantId, bot.id), { ...back, health: bot.health, createdAt: bot.createdAt });
      assert.deepEqual(await reads().getBot(tenantId, neighbour.id), neighbour, 'the other bot is untouched');
      assert.equal(await write((b) => b.updateBot(botOf(tenantId))), false, 'no registration to update');
    });

    it('setBotHealth writes health and updatedAt only', async () => {
      const tenantId = await tenant();
      const bot = botOf(tenantId, { health: HEALTHY });
      await write((b) => b.insertBot(bot));
      const sick = { status: 'unhealthy', consecutiveFailures: 4, lastFailureAt: at(40), lastError: 'timeout' } as const;
      assert.equal(await write((b) => b.setBotHealth(tenantId, bot.id, sick, at(41))), true);
      assert.deepEqual(await reads().getBot(tenantId, bot.id), { ...bot, health: sick, updatedAt: at(41) });
      assert.equal(await write((b) => b.setBotHealth(tenantId, bot.id, HEALTHY, at(42))), true);
      assert.deepEqual(await reads().getBot(tenantId, bot.id), { ...bot, health: HEALTHY, updatedAt: at(42) });
      assert.equal(await write((b) => b.setBotHealth(tenantId, 'agt_missing', sick, at(43))), false);
    });

    it('deleteBot removes one registration once; listTenantsWithBots follows', async () => {
      const tenantId = await tenant();
      const withoutBots = await tenant();
      const bot = botOf(tenantId);
      const second = botOf(tenantId, { createdAt: at(3) });
      await write(async (b) => { await b.insertBot(bot); await b.insertBot(second); });
      const listed = await reads().listTenantsWithBots();
      assert.ok(listed.includes(tenantId));
      assert.ok(!listed.includes(withoutBots));
      assert.equal(listed.filter((t) => t === tenantId).length, 1, 'each tenant once, however many bots it has');

      assert.equal(await write((b) => b.deleteBot(tenantId, bot.id)), true);
      assert.equal(await reads().getBot(tenantId, bot.id), undefined);
      assert.deepEqual(await reads().listBots(tenantId), [second]);
      assert.equal(await write((b) => b.deleteBot(tenantId, bot.id)), false, 'already gone');
      assert.ok((await reads().listTenantsWithBots()).includes(tenantId));
      assert.equal(await write((b) => b.deleteBot(tenantId, second.id)), true);
      assert.deepEqual(await reads().listBots(tenantId), []);
      assert.ok(!(await reads().listTenantsWithBots()).includes(tenantId), 'no bot left: not listed');
      // The id can be registered again.
      assert.equal(await write((b) => b.insertBot(bot)), true);
      assert.deepEqual(await reads().getBot(tenantId, bot.id), bot);
    });

    // ---- bots' parts in conversations -------------------------------------------------------

    it('putBotConversation inserts, then replaces the same part', async () => {
      const tenantId = await tenant();
      const botId = id('agt');
      const part = partOf(tenantId, botId);
      await write((b) => b.putBotConversation(part));
      assert.deepEqual(await reads().getBotConversation(tenantId, part.conversationId, botId), part);

      const escalated: BotConversation = {
        ...part, state: 'escalated', queueId: id('que'), escalatedAt: at(11), escalationTrigger: 'handoff',
        escalationContext: { reason: 'billing', customer: { tier: 'gold', tags: ['vip', 'ü'] }, score: 0.5, none: null },
        escalationSummary: 'Wants a refund «now»', transcript: [{ type: 'message', text: 'hi' }, { type: 'message', from: { role: 'bot' }, text: 'hello' }],
        handoffState: 'pending',
      };
      await write((b) => b.putBotConversation(escalated));
      assert.deepEqual(await reads().getBotConversation(tenantId, part.conversationId, botId), escalated);
      assert.deepEqual(await reads().listConversationBots(tenantId, part.conversationId), [escalated], 'replaced, not added');

      const ended: BotConversation = { ...escalated, state: 'ended', handoffState: 'completed', acceptedAt: at(12), endedAt: at(13), endedByBot: true };
      await write((b) => b.putBotConversation(ended));
      assert.deepEqual(await reads().getBotConversation(tenantId, part.conversationId, botId), ended);

      // And back to nulls: a replace writes every column.
      await write((b) => b.putBotConversation(part));
      assert.deepEqual(await reads().getBotConversation(tenantId, part.conversationId, botId), part);
      assert.equal(await reads().getBotConversation(tenantId, part.conversationId, 'agt_missing'), undefined);
      assert.equal(await reads().getBotConversation(tenantId, 'cnv_missing', botId), undefined);
    });

    it('lists the bots of a conversation and the conversations of a bot by state, oldest first', async () => {
      const tenantId = await tenant();
      const primary = id('agt');
      const assist = id('agt');
      const conversationId = id('cnv');
      const assistPart = partOf(tenantId, assist, { conversationId, role: 'assist', boundAt: at(5) });
      const primaryPart = partOf(tenantId, primary, { conversationId, boundAt: at(6) });
      const laterActive = partOf(tenantId, primary, { boundAt: at(8) });
      const earlierActive = partOf(tenantId, primary, { boundAt: at(7) });
      const escalated = partOf(tenantId, primary, { state: 'escalated', boundAt: at(1), escalatedAt: at(2), escalationTrigger: 'phrase', handoffState: 'accepted' });
      const ended = partOf(tenantId, primary, { state: 'ended', boundAt: at(3), endedAt: at(4), endedByBot: true });
      const assistActive = partOf(tenantId, assist, { role: 'assist', boundAt: at(9) });
      await write(async (b) => {
        for (const p of [primaryPart, assistPart, laterActive, earlierActive, escalated, ended, assistActive]) await b.putBotConversation(p);
      });
      assert.deepEqual(await reads().listConversationBots(tenantId, conversationId), [assistPart, primaryPart]);
      assert.deepEqual(await reads().listBotConversations(tenantId, primary, 'active'), [primaryPart, earlierActive, laterActive]);
      assert.deepEqual(await reads().listBotConversations(tenantId, primary, 'escalated'), [escalated]);
      assert.deepEqual(await reads().listBotConversations(tenantId, primary, 'ended'), [ended]);
      assert.deepEqual(await reads().listBotConversations(tenantId, assist, 'active'), [assistPart, assistActive]);
      assert.deepEqual(await reads().listBotConversations(tenantId, assist, 'ended'), []);
      assert.deepEqual(await reads().listConversationBots(tenantId, 'cnv_missing'), []);

      // A state change moves the part from one list to the other.
      await write((b) => b.putBotConversation({ ...earlierActive, state: 'ended', endedAt: at(20) }));
      assert.deepEqual(await reads().listBotConversations(tenantId, primary, 'active'), [primaryPart, laterActive]);
      assert.deepEqual(await reads().listBotConversations(tenantId, primary, 'ended'), [ended, { ...earlierActive, state: 'ended', endedAt: at(20) }]);
    });

    it('lists parts bound in [from, to), for every bot or one', async () => {
      const tenantId = await tenant();
      const one = id('agt');
      const two = id('agt');
      const before = partOf(tenantId, one, { boundAt: new Date(ms(100) - 1).toISOString() });
      const atFrom = partOf(tenantId, one, { boundAt: at(100) });
      const inside = partOf(tenantId, two, { boundAt: at(150), role: 'assist' });
      const lastInside = partOf(tenantId, one, { boundAt: new Date(ms(200) - 1).toISOString(), state: 'ended', endedAt: at(201) });
      const atTo = partOf(tenantId, two, { boundAt: at(200) });
      await write(async (b) => { for (const p of [atTo, inside, before, lastInside, atFrom]) await b.putBotConversation(p); });
      assert.deepEqual(await reads().listBotConversationsBetween(tenantId, at(100), at(200)), [atFrom, inside, lastInside]);
      assert.deepEqual(await reads().listBotConversationsBetween(tenantId, at(100), at(200), one), [atFrom, lastInside]);
      assert.deepEqual(await reads().listBotConversationsBetween(tenantId, at(100), at(200), two), [inside]);
      assert.deepEqual(await reads().listBotConversationsBetween(tenantId, at(0), at(300)), [before, atFrom, inside, lastInside, atTo]);
      assert.deepEqual(await reads().listBotConversationsBetween(tenantId, at(100), at(100)), [], 'an empty range');
      assert.deepEqual(await reads().listBotConversationsBetween(tenantId, at(100), at(300), 'agt_missing'), []);
    });

    // ---- dispatch cursor --------------------------------------------------------------------

    it('the dispatch cursor starts at 0 and moves forward only from the value the caller read', async () => {
      const tenantId = await tenant();
      const other = await tenant();
      const cursor = () => reads().getDispatchCursor(tenantId);
      assert.equal(await cursor(), 0);
      const steps: readonly { from: number; to: number; moved: boolean; then: number }[] = [
        { from: 0, to: 5, moved: true, then: 5 },
        { from: 0, to: 7, moved: false, then: 5 }, // stale: another node already moved it
        { from: 5, to: 9, moved: true, then: 9 },
        { from: 5, to: 12, moved: false, then: 9 }, // stale again
        { from: 9, to: 3, moved: false, then: 9 }, // never backwards
        { from: 9, to: 9, moved: false, then: 9 }, // moving nowhere is not a move
        { from: 9, to: 10, moved: true, then: 10 },
      ];
      for (const s of steps) {
        assert.equal(await write((b) => b.advanceDispatchCursor(tenantId, s.from, s.to)), s.moved, `${s.from} -> ${s.to}`);
        assert.equal(await cursor(), s.then, `after ${s.from} -> ${s.to}`);
      }
      assert.equal(await reads().getDispatchCursor(other), 0, 'per tenant');
      assert.equal(await write((b) => b.advanceDispatchCursor(other, 3, 4)), false, 'no cursor is 0, not 3');
      assert.equal(await reads().getDispatchCursor(other), 0);
      assert.equal(await write((b) => b.advanceDispatchCursor(other, 0, 2)), true);
      assert.equal(await reads().getDispatchCursor(other), 2);
      assert.equal(await cursor(), 10);
    });

    it('two nodes advancing one cursor from the same value: exactly one moves it', async () => {
      for (const from of [0, 4]) {
        const tenantId = await tenant();
        if (from > 0) assert.equal(await write((b) => b.advanceDispatchCursor(tenantId, 0, from)), true);
        // Both read the cursor before either moves it, as two dispatchers polling the same log would.
        assert.equal(await reads().getDispatchCursor(tenantId), from);
        const outcomes = await race(2, async (b, n, together) => {
          await together();
          return b.advanceDispatchCursor(tenantId, from, from + 10 + n);
        });
        assert.equal(outcomes.filter(Boolean).length, 1, `from ${from}: outcomes ${outcomes.join(', ')}`);
        assert.equal(await reads().getDispatchCursor(tenantId), from + 10 + outcomes.indexOf(true));
      }
    });

    // ---- deliveries -------------------------------------------------------------------------

    it('queues deliveries with increasing ids, read back whole, by conversation in queue order', async () => {
      const tenantId = await tenant();
      const botId = id('agt');
      const conversationId = id('cnv');
      const otherConversation = id('cnv');
      const [first, second, elsewhere, third] = await enqueue(
        harness,
        deliveryOf(tenantId, botId, conversationId, { nextAttemptAt: ms(30) }),
        deliveryOf(tenantId, botId, conversationId, { nextAttemptAt: ms(10), activity: { type: 'conversationUpdate', membersAdded: [{ id: botId }] } }),
        deliveryOf(tenantId, botId, otherConversation),
        deliveryOf(tenantId, id('agt'), conversationId, { createdAt: at(25) }),
      );
      assert.ok(first!.id < second!.id && second!.id < elsewhere!.id && elsewhere!.id < third!.id, `ids ${[first, second, elsewhere, third].map((d) => d!.id).join(', ')}`);
      for (const d of [first, second, elsewhere, third]) {
        assert.equal(typeof d!.id, 'number');
        assert.deepEqual(await reads().getDelivery(tenantId, d!.id), d);
      }
      assert.deepEqual(first, queued(deliveryOf(tenantId, botId, conversationId, { nextAttemptAt: ms(30), dedupeKey: first!.dedupeKey }), first!.id));
      assert.deepEqual(await reads().listDeliveries(tenantId, conversationId), [first, second, third], 'by id, not by next attempt');
      assert.deepEqual(await reads().listDeliveries(tenantId, otherConversation), [elsewhere]);
      assert.deepEqual(await reads().listDeliveries(tenantId, 'cnv_missing'), []);
      assert.equal(await reads().getDelivery(tenantId, third!.id + 1000), undefined);
    });

    it('a duplicate dedupe key queues nothing and changes nothing; the key is unique per tenant only', async () => {
      const tenantId = await tenant();
      const other = await tenant();
      const botId = id('agt');
      const conversationId = id('cnv');
      const [original] = await enqueue(harness, deliveryOf(tenantId, botId, conversationId));
      const replay = deliveryOf(tenantId, id('agt'), id('cnv'), {
        dedupeKey: original!.dedupeKey, activity: { type: 'message', text: 'different' }, nextAttemptAt: ms(99), createdAt: at(99),
      });
      assert.equal(await write((b) => b.insertDelivery(replay)), false);
      assert.equal(await write((b) => b.insertDelivery({ ...replay, conversationId, botId })), false);
      assert.deepEqual(await reads().listDeliveries(tenantId, conversationId), [original]);
      assert.deepEqual(await reads().listDeliveries(tenantId, replay.conversationId), []);
      assert.deepEqual(await reads().getDelivery(tenantId, original!.id), original);
      // Done deliveries still hold their key: a replayed event after delivery queues nothing either.
      assert.equal(await write((b) => b.updateDelivery(tenantId, original!.id, { status: 'delivered', attempts: 1, nextAttemptAt: ms(20), lastError: null, doneAt: at(21) })), true);
      assert.equal(await write((b) => b.insertDelivery(replay)), false);
      // Another tenant's event may produce the same key.
      const [theirs] = await enqueue(harness, deliveryOf(other, botId, conversationId, { dedupeKey: original!.dedupeKey }));
      assert.ok(theirs!.id > original!.id);
      assert.equal((await reads().listDeliveries(tenantId, conversationId)).length, 1);
    });

    it('two nodes queueing the same dedupe key at once: exactly one delivery', async () => {
      const tenantId = await tenant();
      const botId = id('agt');
      const conversationId = id('cnv');
      const dedupeKey = `${id('evt')}:${botId}`;
      const outcomes = await race(2, async (b, n, together) => {
        await together();
        return b.insertDelivery(deliveryOf(tenantId, botId, conversationId, { dedupeKey, activity: { type: 'message', text: `racer ${n}` } }));
      });
      assert.equal(outcomes.filter(Boolean).length, 1, `outcomes ${outcomes.join(', ')}`);
      const rows = await reads().listDeliveries(tenantId, conversationId);
      assert.equal(rows.length, 1);
      assert.deepEqual(rows[0]!.activity, { type: 'message', text: `racer ${outcomes.indexOf(true)}` });
    });

    it('records attempts only on a pending delivery', async () => {
      const tenantId = await tenant();
      const other = await tenant();
      const botId = id('agt');
      const conversationId = id('cnv');
      const [d, failing] = await enqueue(harness, deliveryOf(tenantId, botId, conversationId), deliveryOf(tenantId, botId, conversationId));
      const retry = { status: 'pending', attempts: 1, nextAttemptAt: ms(25), lastError: 'HTTP 502', doneAt: null } as const;
      assert.equal(await write((b) => b.updateDelivery(tenantId, d!.id, retry)), true);
      assert.deepEqual(await reads().getDelivery(tenantId, d!.id), { ...d, ...retry });
      const done = { status: 'delivered', attempts: 2, nextAttemptAt: ms(25), lastError: null, doneAt: at(26) } as const;
      assert.equal(await write((b) => b.updateDelivery(tenantId, d!.id, done)), true);
      assert.deepEqual(await reads().getDelivery(tenantId, d!.id), { ...d, ...done });
      // Delivered is final.
      for (const change of [retry, { ...done, status: 'failed', attempts: 3, doneAt: at(27) } as const, { ...done, status: 'cancelled' } as const]) {
        assert.equal(await write((b) => b.updateDelivery(tenantId, d!.id, change)), false, `delivered -> ${change.status}`);
      }
      assert.deepEqual(await reads().getDelivery(tenantId, d!.id), { ...d, ...done });
      // Failed is final too.
      const gaveUp = { status: 'failed', attempts: 5, nextAttemptAt: ms(60), lastError: 'timeout', doneAt: at(61) } as const;
      assert.equal(await write((b) => b.updateDelivery(tenantId, failing!.id, gaveUp)), true);
      assert.equal(await write((b) => b.updateDelivery(tenantId, failing!.id, retry)), false);
      assert.deepEqual(await reads().getDelivery(tenantId, failing!.id), { ...failing, ...gaveUp });
      // Unknown ids and other tenants change nothing.
      assert.equal(await write((b) => b.updateDelivery(tenantId, failing!.id + 1000, retry)), false);
      const [pending] = await enqueue(harness, deliveryOf(tenantId, botId, conversationId));
      assert.equal(await write((b) => b.updateDelivery(other, pending!.id, done)), false);
      assert.deepEqual(await reads().getDelivery(tenantId, pending!.id), pending);
    });

    it('two nodes recording an attempt on one pending delivery: exactly one does', async () => {
      const tenantId = await tenant();
      const botId = id('agt');
      const [d] = await enqueue(harness, deliveryOf(tenantId, botId, id('cnv')));
      const outcomes = await race(2, async (b, n, together) => {
        await together();
        return b.updateDelivery(tenantId, d!.id, { status: 'delivered', attempts: 1, nextAttemptAt: d!.nextAttemptAt, lastError: null, doneAt: at(30 + n) });
      });
      assert.equal(outcomes.filter(Boolean).length, 1, `outcomes ${outcomes.join(', ')}`);
      assert.equal((await reads().getDelivery(tenantId, d!.id))!.doneAt, at(30 + outcomes.indexOf(true)));
    });

    it('cancels a bot\'s pending deliveries, in one conversation or all, and counts them', async () => {
      const tenantId = await tenant();
      const other = await tenant();
      const bot = id('agt');
      const otherBot = id('agt');
      const one = id('cnv');
      const two = id('cnv');
      const [p1, p2, delivered, inTwo, otherBotsOne, otherTenants] = await enqueue(
        harness,
        deliveryOf(tenantId, bot, one), deliveryOf(tenantId, bot, one), deliveryOf(tenantId, bot, one), deliveryOf(tenantId, bot, two),
        deliveryOf(tenantId, otherBot, one), deliveryOf(other, bot, one),
      );
      const doneChange = { status: 'delivered', attempts: 1, nextAttemptAt: ms(20), lastError: null, doneAt: at(21) } as const;
      assert.equal(await write((b) => b.updateDelivery(tenantId, delivered!.id, doneChange)), true);
      const deliveredRow = { ...delivered!, ...doneChange };

      assert.equal(await write((b) => b.cancelDeliveries(tenantId, bot, at(40), one)), 2);
      const cancelled = (d: BotDelivery, s: number): BotDelivery => ({ ...d, status: 'cancelled', doneAt: at(s) });
      assert.deepEqual(await reads().listDeliveries(tenantId, one), [cancelled(p1!, 40), cancelled(p2!, 40), deliveredRow, otherBotsOne]);
      assert.deepEqual(await reads().listDeliveries(tenantId, two), [inTwo], 'the other conversation is untouched');
      assert.deepEqual(await reads().listDeliveries(other, one), [otherTenants], 'the other tenant is untouched');

      assert.equal(await write((b) => b.cancelDeliveries(tenantId, bot, at(41))), 1, 'every conversation: only the one left pending');
      assert.deepEqual(await reads().listDeliveries(tenantId, two), [cancelled(inTwo!, 41)]);
      assert.deepEqual(await reads().getDelivery(tenantId, p1!.id), cancelled(p1!, 40), 'cancelled once, at the first time');
      assert.equal(await write((b) => b.cancelDeliveries(tenantId, bot, at(42))), 0);
      assert.equal(await write((b) => b.cancelDeliveries(tenantId, 'agt_missing', at(42))), 0);
      assert.deepEqual(await reads().getDelivery(tenantId, otherBotsOne!.id), otherBotsOne, 'the other bot is untouched');
      // A cancelled delivery is no longer pending: no attempt can be recorded on it.
      assert.equal(await write((b) => b.updateDelivery(tenantId, p1!.id, doneChange)), false);
    });

    it('due deliveries: pending ones with their time come, by id, across tenants; the earliest pending time or null', async () => {
      await alone(async (h) => {
        const bots = h.storage.read.bots;
        const w = <T>(work: (b: BotTx) => Promise<T>): Promise<T> => h.storage.transaction((tx) => work(tx.bots));
        assert.deepEqual(await bots.listDueDeliveries(ms(1000), 100), []);
        assert.equal(await bots.nextDeliveryDue(), null, 'nothing queued');

        const a = await tenant(h, 'A');
        const b = await tenant(h, 'B');
        const bot = id('agt');
        const [a100, b50, a200, b100, aDone, aCancelled] = await enqueue(
          h,
          deliveryOf(a, bot, id('cnv'), { nextAttemptAt: ms(100) }),
          deliveryOf(b, bot, id('cnv'), { nextAttemptAt: ms(50) }),
          deliveryOf(a, bot, id('cnv'), { nextAttemptAt: ms(200) }),
          deliveryOf(b, bot, id('cnv'), { nextAttemptAt: ms(100) }),
          deliveryOf(a, bot, id('cnv'), { nextAttemptAt: ms(10) }),
          deliveryOf(a, id('agt'), id('cnv'), { nextAttemptAt: ms(5) }),
        );
        assert.equal(await bots.nextDeliveryDue(), ms(5));
        assert.equal(await w((x) => x.updateDelivery(a, aDone!.id, { status: 'delivered', attempts: 1, nextAttemptAt: ms(10), lastError: null, doneAt: at(11) })), true);
        assert.equal(await w((x) => x.cancelDeliveries(a, aCancelled!.botId, at(12))), 1);
        assert.equal(await bots.nextDeliveryDue(), ms(50), 'done and cancelled deliveries are not due');

        assert.deepEqual(await bots.listDueDeliveries(ms(49), 100), []);
        assert.deepEqual(await bots.listDueDeliveries(ms(50), 100), [b50]);
        assert.deepEqual(await bots.listDueDeliveries(ms(100), 100), [a100, b50, b100], 'due at now inclusive, by id');
        assert.deepEqual(await bots.listDueDeliveries(ms(100), 2), [a100, b50], 'at most limit');
        assert.deepEqual(await bots.listDueDeliveries(ms(1000), 100), [a100, b50, a200, b100]);

        // A retry moves a delivery later: it drops out of the earlier windows.
        const retry = { status: 'pending', attempts: 1, nextAttemptAt: ms(300), lastError: 'HTTP 500', doneAt: null } as const;
        assert.equal(await w((x) => x.updateDelivery(b, b50!.id, retry)), true);
        assert.equal(await bots.nextDeliveryDue(), ms(100));
        assert.deepEqual(await bots.listDueDeliveries(ms(100), 100), [a100, b100]);
        assert.deepEqual(await bots.listDueDeliveries(ms(300), 100), [a100, { ...b50!, ...retry }, a200, b100], 'still in id order');

        for (const [t, d] of [[a, a100], [b, b50], [a, a200], [b, b100]] as const) {
          assert.equal(await w((x) => x.updateDelivery(t, d!.id, { status: 'failed', attempts: 5, nextAttemptAt: d!.nextAttemptAt, lastError: 'timeout', doneAt: at(400) })), true);
        }
        assert.deepEqual(await bots.listDueDeliveries(ms(1000), 100), []);
        assert.equal(await bots.nextDeliveryDue(), null, 'nothing pending');

        // One conversation: only its oldest pending delivery is ever due, so a later one never
        // overtakes one waiting for a retry (nor after a restart, which knows only the table).
        const conversation = id('cnv');
        const [first, second] = await enqueue(h, deliveryOf(a, bot, conversation, { nextAttemptAt: ms(10) }), deliveryOf(a, bot, conversation, { nextAttemptAt: ms(10) }));
        assert.deepEqual(await bots.listDueDeliveries(ms(100), 100), [first]);
        const later = { status: 'pending', attempts: 1, nextAttemptAt: ms(500), lastError: 'timeout', doneAt: null } as const;
        assert.equal(await w((x) => x.updateDelivery(a, first!.id, later)), true);
        assert.deepEqual(await bots.listDueDeliveries(ms(100), 100), [], 'the second waits behind the first');
        assert.deepEqual(await bots.listDueDeliveries(ms(500), 100), [{ ...first!, ...later }]);
        assert.equal(await w((x) => x.updateDelivery(a, first!.id, { ...later, status: 'delivered', doneAt: at(501) })), true);
        assert.deepEqual(await bots.listDueDeliveries(ms(500), 100), [second]);

        // Claiming: of two nodes that read the same due delivery, one takes it; it is due again only when the lease ends.
        const claims = await Promise.all([
          w((x) => x.claimDelivery(a, second!.id, second!.nextAttemptAt, ms(900))),
          w((x) => x.claimDelivery(a, second!.id, second!.nextAttemptAt, ms(901))),
        ]);
        assert.deepEqual(claims.sort(), [false, true], 'exactly one claim wins');
        assert.deepEqual(await bots.listDueDeliveries(ms(899), 100), [], 'a claimed delivery is not due during its lease');
        assert.equal((await bots.listDueDeliveries(ms(901), 100)).length, 1, 'due again once the lease has run out');
        assert.equal(await w((x) => x.claimDelivery(b, second!.id, ms(900), ms(2000))), false, 'another tenant cannot claim it');
      });
    });

    // ---- tenant isolation -------------------------------------------------------------------

    it('another tenant\'s id finds nothing and changes nothing', async () => {
      const tenantId = await tenant();
      const other = await tenant(harness, 'Other');
      const bot = botOf(tenantId);
      const part = partOf(tenantId, bot.id, { boundAt: at(10) });
      await write(async (b) => {
        await b.insertBot(bot);
        await b.putBotConversation(part);
        assert.equal(await b.advanceDispatchCursor(tenantId, 0, 42), true);
      });
      const [d] = await enqueue(harness, deliveryOf(tenantId, bot.id, part.conversationId));

      const r = reads();
      assert.equal(await r.getBot(other, bot.id), undefined);
      assert.deepEqual(await r.listBots(other), []);
      assert.equal(await r.getBotConversation(other, part.conversationId, bot.id), undefined);
      assert.deepEqual(await r.listConversationBots(other, part.conversationId), []);
      assert.deepEqual(await r.listBotConversations(other, bot.id, 'active'), []);
      assert.deepEqual(await r.listBotConversationsBetween(other, at(0), at(1000)), []);
      assert.deepEqual(await r.listBotConversationsBetween(other, at(0), at(1000), bot.id), []);
      assert.equal(await r.getDispatchCursor(other), 0);
      assert.equal(await r.getDelivery(other, d!.id), undefined);
      assert.deepEqual(await r.listDeliveries(other, part.conversationId), []);
      assert.ok(!(await r.listTenantsWithBots()).includes(other));

      assert.equal(await write((b) => b.updateBot({ ...bot, tenantId: other, messagingEndpoint: 'https://evil.example.com/' })), false);
      assert.equal(await write((b) => b.setBotHealth(other, bot.id, HEALTHY, at(50))), false);
      assert.equal(await write((b) => b.deleteBot(other, bot.id)), false);
      assert.equal(await write((b) => b.advanceDispatchCursor(other, 42, 50)), false);
      assert.equal(await write((b) => b.updateDelivery(other, d!.id, { status: 'delivered', attempts: 1, nextAttemptAt: 0, lastError: null, doneAt: at(50) })), false);
      assert.equal(await write((b) => b.cancelDeliveries(other, bot.id, at(50))), 0);
      assert.equal(await write((b) => b.cancelDeliveries(other, bot.id, at(50), part.conversationId)), 0);

      assert.deepEqual(await r.getBot(tenantId, bot.id), bot);
      assert.deepEqual(await r.getBotConversation(tenantId, part.conversationId, bot.id), part);
      assert.equal(await r.getDispatchCursor(tenantId), 42);
      assert.deepEqual(await r.getDelivery(tenantId, d!.id), d);
    });
  });
}
