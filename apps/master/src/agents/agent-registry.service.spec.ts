import '../testing/quiet-logs';
import { isSubjectSafeId } from '@pando/common';
import { Resources } from '@pando/resources';
import { agentInfo, resourcesJson } from '../testing/factories';
import { storedAgent } from '../registry/master-registry.service';
import type { RegistrySink } from '../registry/registry.sink';
import { AgentRegistry } from './agent-registry.service';

const totals = (cpus = 4) => Resources.fromJson(resourcesJson(cpus, 1024));

describe('AgentRegistry', () => {
  it('keeps dynamic reservations in the registry and applies them when a new leader sees the agent again', () => {
    const changed: string[] = [];
    const sink: RegistrySink = { agentChanged: (a) => changed.push(a.id), frameworkChanged: () => undefined, frameworkForgotten: () => undefined };
    const leader = new AgentRegistry(sink);
    const { agent } = leader.admit(undefined, agentInfo('a'), totals(4), 1000);
    const reserved = Resources.parse('cpus(web):1');
    leader.setDynamicReservations(agent.id, reserved);
    expect(changed).toEqual([agent.id]);
    const stored = storedAgent(agent);
    expect(stored.resources).toEqual(totals(4).toJson());
    expect(Resources.fromJson(stored.reservations!).equals(reserved)).toBe(true);

    // The next leader restores it from the registry; the agent re-registers with what it reports.
    const next = new AgentRegistry();
    next.restore({ id: agent.id, info: agentInfo('a'), totals: Resources.fromJson(stored.resources), registeredTime: 1000, unreachable: false, reservations: Resources.fromJson(stored.reservations!) });
    const back = next.admit(agent.id, agentInfo('a'), totals(4), 5000);
    expect(back.agent.resources.reservedTo('web').scalar('cpus')).toBe(1);
    expect(back.agent.resources.scalar('cpus')).toBe(4);
    expect(back.agent.registeredTime).toBe(1000);
  });

  it('gives new agents distinct subject-safe ids', () => {
    const registry = new AgentRegistry();
    const a = registry.admit(undefined, agentInfo('a'), totals(), 1000);
    const b = registry.admit(undefined, agentInfo('b'), totals(), 1000);
    expect(a.kind).toBe('registered');
    expect(a.agent.id).not.toBe(b.agent.id);
    expect(isSubjectSafeId(a.agent.id)).toBe(true);
    expect(a.agent.id).toMatch(/-S0$/);
    expect(registry.size).toBe(2);
    expect(registry.activeCount).toBe(2);
    expect(a.agent.reregisteredTime).toBeUndefined();
  });

  it('re-registers a known agent with its new info and totals', () => {
    const registry = new AgentRegistry();
    const { agent } = registry.admit(undefined, agentInfo('a'), totals(4), 1000);
    const again = registry.admit(agent.id, { ...agentInfo('a2'), version: '0.2.0' }, totals(8), 2000);
    expect(again.kind).toBe('reregistered');
    expect(again.agent).toBe(agent);
    expect(agent.info.hostname).toBe('a2');
    expect(agent.resources.scalar('cpus')).toBe(8);
    expect(agent.stateJson().resources.cpus).toBe(8);
    expect(agent.registeredTime).toBe(1000);
    expect(agent.reregisteredTime).toBe(2000);
    expect(registry.size).toBe(1);
  });

  it('admits an unknown agent under the id it brings (after a master restart)', () => {
    const registry = new AgentRegistry();
    const { agent, kind, reactivated } = registry.admit('old-agent-S7', agentInfo(), totals(), 1000);
    expect(kind).toBe('readmitted');
    expect(reactivated).toBe(true);
    expect(agent.id).toBe('old-agent-S7');
    expect(agent.reregisteredTime).toBe(1000);
    expect(registry.get('old-agent-S7')).toBe(agent);
  });

  it('accepts heartbeats only from known active agents', () => {
    const registry = new AgentRegistry();
    const { agent } = registry.admit(undefined, agentInfo(), totals(), 1000);
    expect(registry.heartbeat(agent.id, 1500)).toBe(true);
    expect(agent.lastSeen).toBe(1500);
    expect(registry.heartbeat('unknown', 1500)).toBe(false);
    registry.expire(2000);
    expect(agent.active).toBe(false);
    expect(registry.heartbeat(agent.id, 2500)).toBe(false);
    expect(agent.lastSeen).toBe(1500);
  });

  it('expires exactly the agents last seen before the cutoff, oldest first', () => {
    const registry = new AgentRegistry();
    const ids = [0, 1, 2, 3].map((i) => registry.admit(undefined, agentInfo(`n${i}`), totals(), 1000 + i * 100).agent.id);
    registry.heartbeat(ids[0], 2000); // moves n0 behind the others
    const expired = registry.expire(1250);
    expect(expired.map((a) => a.info.hostname)).toEqual(['n1', 'n2']);
    expect(registry.activeCount).toBe(2);
    expect(registry.unreachableCount).toBe(2);
    expect(registry.expire(1250)).toEqual([]);
  });

  it('reactivates an unreachable agent when it re-registers', () => {
    const registry = new AgentRegistry();
    const { agent } = registry.admit(undefined, agentInfo(), totals(), 1000);
    registry.expire(5000);
    const again = registry.admit(agent.id, agentInfo(), totals(), 6000);
    expect(again.reactivated).toBe(true);
    expect(agent.active).toBe(true);
    expect(registry.unreachableCount).toBe(0);
    expect(registry.activeCount).toBe(1);
    expect(registry.expire(5999)).toEqual([]);
  });

  it('shares identical executor lists between agents', () => {
    const registry = new AgentRegistry();
    const a = registry.admit(undefined, { ...agentInfo(), executors: ['command', 'docker'] }, totals(), 1).agent;
    const b = registry.admit(undefined, { ...agentInfo(), executors: ['command', 'docker'] }, totals(), 1).agent;
    expect(a.info.executors).toBe(b.info.executors);
  });
});
