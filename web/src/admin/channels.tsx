/** The console's channels: a new web chat channel, trusted origins, the widget snippet, Direct Line secrets. */
import { useCallback, useState } from 'react';
import { type Channel } from '../api.js';
import { type Act, type Api, Panel, useLoad } from './shared.js';

export interface SecretInfo { readonly id: string; readonly hint: string; readonly createdAt: string; readonly revokedAt: string | null }

export function ChannelsAdmin({ api, act }: { api: Api; act: Act }) {
  const [channels, setChannels] = useState<readonly Channel[]>([]);
  const [secrets, setSecrets] = useState<ReadonlyMap<string, readonly SecretInfo[]>>(new Map());
  const [fresh, setFresh] = useState<{ channelId: string; value: string }>();
  const load = useCallback(async () => {
    const items = await api.channels();
    setChannels(items);
    const lists = await Promise.all(items.filter((c) => c.type === 'webchat').map(async (c) => [c.id, await api.directLineSecrets(c.id).catch(() => [])] as const));
    setSecrets(new Map(lists));
  }, [api]);
  useLoad(load);
  return (
    <>
    <NewWebChatChannel api={api} act={act} onCreated={load} />
    <Panel title="Channels">
      {channels.map((c) => (
        <article key={c.id} className="channel" aria-label={`Channel ${c.name}`}>
          <h3>{c.name} <span className="pill">{c.type}</span></h3>
          {c.type === 'webchat' && (
            <>
              <label className="snippet">Widget snippet (paste it into any page of a trusted origin)
                <textarea readOnly rows={2} value={`<script src="${location.origin}/webchat/widget.js" data-channel="${c.id}" async></script>`} onFocus={(e) => e.target.select()} />
              </label>
              <TrustedOrigins channel={c} api={api} act={act} onSaved={load} />
              <h4>Direct Line secrets</h4>
              <ul className="secrets">
                {(secrets.get(c.id) ?? []).map((s) => (
                  <li key={s.id}>
                    <code>{s.hint}…</code> <span className="muted small">created {new Date(s.createdAt).toLocaleDateString()}{s.revokedAt ? ' · revoked' : ''}</span>
                    {!s.revokedAt && <button className="secondary small" type="button" onClick={() => void act('Secret revoked', async () => { await api.revokeDirectLineSecret(c.id, s.id); await load(); })}>Revoke</button>}
                  </li>
                ))}
              </ul>
              {fresh?.channelId === c.id && <p className="notice" role="status">New secret, shown only now: <code>{fresh.value}</code></p>}
              <button className="secondary small" type="button" onClick={() => void act('Secret created', async () => {
                const created = await api.createDirectLineSecret(c.id);
                setFresh({ channelId: c.id, value: created.value });
                await load();
              })}>New secret</button>
            </>
          )}
        </article>
      ))}
    </Panel>
    </>
  );
}

/** Origins as the administrator types them, one per line or comma-separated. */
export function originsOf(text: string): string[] {
  return text.split(/[\s,]+/).map((o) => o.trim()).filter(Boolean);
}

export function NewWebChatChannel({ api, act, onCreated }: { api: Api; act: Act; onCreated: () => Promise<void> }) {
  const [name, setName] = useState('');
  const [title, setTitle] = useState('');
  const [origins, setOrigins] = useState('');
  const [csat, setCsat] = useState(true);
  return (
    <Panel title="New web chat channel">
      <form className="form" aria-label="New web chat channel" onSubmit={(e) => {
        e.preventDefault();
        void act(`Channel "${name.trim()}" created`, async () => {
          await api.createChannel({ type: 'webchat', name: name.trim(), config: { title: title.trim() || name.trim(), trustedOrigins: originsOf(origins), csat: { enabled: csat } } });
          await onCreated();
        }).then((ok) => {
          if (ok) {
            setName('');
            setTitle('');
            setOrigins('');
          }
        });
      }}>
        <label>Name<input value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} /></label>
        <label>Widget title<input value={title} onChange={(e) => setTitle(e.target.value)} maxLength={80} placeholder="Support" /></label>
        <label>Trusted origins (pages that may embed the widget; one per line)
          <textarea rows={2} value={origins} onChange={(e) => setOrigins(e.target.value)} placeholder="https://shop.example.com" />
        </label>
        <label className="check"><input type="checkbox" checked={csat} onChange={(e) => setCsat(e.target.checked)} />Offer the satisfaction survey when a chat ends</label>
        <button className="primary" type="submit" disabled={!name.trim()}>Create channel</button>
      </form>
    </Panel>
  );
}

export function TrustedOrigins({ channel, api, act, onSaved }: { channel: Channel; api: Api; act: Act; onSaved: () => Promise<void> }) {
  const current = Array.isArray(channel.config?.trustedOrigins) ? (channel.config.trustedOrigins as string[]) : [];
  const [text, setText] = useState(current.join('\n'));
  return (
    <form className="form" aria-label={`Trusted origins of ${channel.name}`} onSubmit={(e) => {
      e.preventDefault();
      void act('Trusted origins saved', async () => {
        await api.updateChannel(channel.id, { config: { ...(channel.config ?? {}), trustedOrigins: originsOf(text) } });
        await onSaved();
      });
    }}>
      <label>Trusted origins<textarea rows={2} value={text} onChange={(e) => setText(e.target.value)} placeholder="https://shop.example.com" /></label>
      <button className="secondary small" type="submit">Save origins</button>
    </form>
  );
}
