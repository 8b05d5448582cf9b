/** The console's skills: the catalogue, and each agent's proficiencies and capacity. */
import { useCallback, useState } from 'react';
import { type Act, type Api, Panel, useLoad } from './shared.js';

/** An agent's capacity and skill proficiencies (1-10), as routing reads them. */
export function AgentSkills({ api, act, skills }: { api: Api; act: Act; skills: readonly { name: string }[] }) {
  const [agents, setAgents] = useState<Awaited<ReturnType<Api['agents']>>>([]);
  const [agentId, setAgentId] = useState('');
  const [capacity, setCapacity] = useState(1);
  const [levels, setLevels] = useState<Record<string, number>>({});
  const load = useCallback(async () => setAgents((await api.agents()).filter((a) => a.kind === 'human')), [api]);
  useLoad(load);
  const choose = (id: string) => {
    const agent = agents.find((a) => a.id === id);
    setAgentId(id);
    setCapacity(agent?.capacity ?? 1);
    setLevels({ ...(agent?.skills ?? {}) });
  };
  return (
    <Panel title="Agents' skills and capacity">
      <label className="inline">Agent
        <select aria-label="Agent to edit" value={agentId} onChange={(e) => choose(e.target.value)}>
          <option value="">Choose…</option>
          {agents.map((a) => <option key={a.id} value={a.id}>{a.displayName}</option>)}
        </select>
      </label>
      {agentId && (
        <form className="form" aria-label="Agent skills" onSubmit={(e) => {
          e.preventDefault();
          const name = agents.find((a) => a.id === agentId)?.displayName ?? agentId;
          void act(`${name} saved`, async () => { await api.updateAgent(agentId, { capacity, skills: levels }); await load(); });
        }}>
          <label>Capacity (units of work at once)<input type="number" min={0} max={10000} value={capacity} onChange={(e) => setCapacity(Number(e.target.value))} /></label>
          <fieldset>
            <legend>Skills (proficiency 1-10; empty: not held)</legend>
            {skills.map((s) => (
              <label key={s.name} className="check">{s.name}
                <input type="number" min={1} max={10} aria-label={`Proficiency in ${s.name}`} value={levels[s.name] ?? ''} onChange={(e) => {
                  const next = { ...levels };
                  if (e.target.value === '') delete next[s.name];
                  else next[s.name] = Number(e.target.value);
                  setLevels(next);
                }} />
              </label>
            ))}
          </fieldset>
          <button className="primary" type="submit">Save agent</button>
        </form>
      )}
    </Panel>
  );
}

export function SkillsAdmin({ api, act }: { api: Api; act: Act }) {
  const [skills, setSkills] = useState<readonly { name: string }[]>([]);
  const [name, setName] = useState('');
  const load = useCallback(async () => setSkills(await api.skills()), [api]);
  useLoad(load);
  return (
    <>
    <Panel title="Skills">
      <ul className="tags">{skills.map((s) => <li key={s.name}>{s.name}</li>)}</ul>
      <form className="form inline-form" onSubmit={(e) => {
        e.preventDefault();
        void act(`Skill "${name.trim()}" created`, async () => { await api.createSkill(name.trim()); await load(); }).then((ok) => ok && setName(''));
      }}>
        <label>New skill<input value={name} onChange={(e) => setName(e.target.value)} required maxLength={64} /></label>
        <button className="primary" type="submit" disabled={name.trim() === ''}>Add</button>
      </form>
    </Panel>
    <AgentSkills api={api} act={act} skills={skills} />
    </>
  );
}
