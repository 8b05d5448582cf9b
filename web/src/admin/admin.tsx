import { useCallback, useEffect, useMemo, useState } from 'react';
import { tenantApi, type Agent, type Queue, type SessionInfo } from '../api.js';
import { errorText } from '../format.js';
import { ChannelsAdmin } from './channels.js';
import { AppsAdmin, BotsAdmin, IntegrationsAdmin } from './integrations.js';
import { AccessAdmin, PeopleAdmin } from './people.js';
import { QueuesAdmin } from './queues.js';
import { RoutingAdmin } from './routing.js';
import { type Act, refusal } from './shared.js';
import { SkillsAdmin } from './skills.js';

export type Section = 'queues' | 'routing' | 'channels' | 'skills' | 'people' | 'access' | 'apps' | 'bots' | 'integrations';

export const SECTIONS: readonly { id: Section; label: string }[] = [
  { id: 'queues', label: 'Queues' }, { id: 'routing', label: 'Routing rules' }, { id: 'channels', label: 'Channels' }, { id: 'skills', label: 'Skills' },
  { id: 'people', label: 'People' }, { id: 'access', label: 'Groups and roles' }, { id: 'apps', label: 'Applications' },
  { id: 'bots', label: 'Bots' }, { id: 'integrations', label: 'Integrations' },
];

/**
 * The admin console: queues and their members, a workstream's classification and route rules
 * (edited with live validation of the rule language and tried with the dry run), web chat
 * channels (the widget snippet and Direct Line secrets), skills, people with their roles, and
 * bots (connected or not, healthy or not). Everything goes through the
 * public API, which validates again and refuses what the person may not do.
 */
export function Admin({ session, onProblem }: { session: SessionInfo; onProblem: (text: string | undefined) => void }) {
  const api = useMemo(() => tenantApi(session.tenant.id), [session.tenant.id]);
  const [section, setSection] = useState<Section>('queues');
  const [queues, setQueues] = useState<readonly Queue[]>([]);
  const [agents, setAgents] = useState<readonly (Agent & { kind: 'human' | 'bot' })[]>([]);
  const [notice, setNotice] = useState<string>();

  const reload = useCallback(async () => {
    const [q, a] = await Promise.all([api.queues(), api.agents()]);
    setQueues(q);
    setAgents(a);
  }, [api]);
  useEffect(() => {
    reload().catch((error: unknown) => onProblem(`Could not load the configuration: ${errorText(error)}`));
  }, [reload, onProblem]);

  const act: Act = async (what, work) => {
    try {
      onProblem(undefined);
      setNotice(undefined);
      await work();
      await reload();
      setNotice(`${what}: done.`);
      return true;
    } catch (error) {
      onProblem(`${what}: ${refusal(error)}`);
      return false;
    }
  };

  return (
    <div className="admin">
      <nav className="admin-nav" aria-label="Settings">
        {SECTIONS.map((s) => (
          <button key={s.id} type="button" className={section === s.id ? 'selected' : ''} aria-current={section === s.id ? 'page' : undefined} onClick={() => setSection(s.id)}>{s.label}</button>
        ))}
      </nav>
      <main className="admin-main">
        {notice && <p className="notice" role="status">{notice}</p>}
        {section === 'queues' && <QueuesAdmin queues={queues} agents={agents} api={api} act={act} />}
        {section === 'routing' && <RoutingAdmin queues={queues} agents={agents} api={api} act={act} onProblem={onProblem} />}
        {section === 'channels' && <ChannelsAdmin api={api} act={act} />}
        {section === 'skills' && <SkillsAdmin api={api} act={act} />}
        {section === 'people' && <PeopleAdmin api={api} act={act} queues={queues} agents={agents} />}
        {section === 'access' && <AccessAdmin api={api} act={act} queues={queues} />}
        {section === 'apps' && <AppsAdmin api={api} act={act} />}
        {section === 'bots' && <BotsAdmin api={api} act={act} />}
        {section === 'integrations' && <IntegrationsAdmin api={api} act={act} />}
      </main>
    </div>
  );
}
