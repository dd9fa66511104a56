import '../testing/quiet-logs';
import { Resources, type ResourceJson } from '@pando/resources';
import { agentInfo } from '../testing/factories';
import { AgentRegistry } from './agent-registry.service';
import { applyDynamicReservations, dynamicallyReserved } from './dynamic-reservations';

/** `text` reserved dynamically to `role` by `principal`. */
function dynamic(role: string, text: string, principal = 'ops'): Resources {
  const json: ResourceJson[] = Resources.parse(text)
    .toJson()
    .map((r) => ({ ...r, role, reservation: { type: 'DYNAMIC', principal } }));
  return Resources.fromJson(json);
}

describe('applyDynamicReservations', () => {
  it('turns unreserved resources into reserved ones, leaving static reservations alone', () => {
    const reported = Resources.parse('cpus:4;mem:1024;cpus(db):1;ports:[31000-31010]');
    const reservations = dynamic('web', 'cpus:1.5;mem:256;ports:[31000-31001]');
    const { total, unapplied } = applyDynamicReservations(reported, reservations);
    expect(unapplied.isEmpty()).toBe(true);
    expect(total.equals(Resources.parse('cpus:2.5;mem:768;cpus(db):1;ports:[31002-31010]').add(reservations))).toBe(true);
    expect(dynamicallyReserved(total).equals(reservations)).toBe(true);
  });

  it('leaves out, whole, a reservation the agent no longer has room for', () => {
    const reported = Resources.parse('cpus:1;mem:1024');
    const reservations = dynamic('web', 'cpus:2;mem:256');
    const { total, unapplied } = applyDynamicReservations(reported, reservations);
    expect(total.equals(Resources.parse('cpus:1;mem:768').add(dynamic('web', 'mem:256')))).toBe(true);
    expect(unapplied.equals(dynamic('web', 'cpus:2'))).toBe(true);
  });
});

describe('AgentRegistry.setDynamicReservations', () => {
  const reported = () => Resources.parse('cpus:4;mem:1024');

  it('applies the reservations to the totals and the state JSON, and again on re-registration', () => {
    const registry = new AgentRegistry();
    const { agent } = registry.admit(undefined, agentInfo(), reported(), 1000);
    const reservations = dynamic('web', 'cpus:1;mem:128');
    registry.setDynamicReservations(agent.id, reservations);
    expect(agent.dynamicReservations.equals(reservations)).toBe(true);
    expect(agent.resources.equals(Resources.parse('cpus:3;mem:896').add(reservations))).toBe(true);
    expect(agent.reportedResources.equals(reported())).toBe(true);
    const state = agent.stateJson();
    expect(state.resources).toMatchObject({ cpus: 4, mem: 1024 });
    expect(state.unreserved).toMatchObject({ cpus: 3, mem: 896 });
    expect(state.reserved).toEqual({ web: { cpus: 1, mem: 128, disk: 0, gpus: 0 } });
    expect(state.reservedFull.web).toEqual(reservations.toJson());

    // The agent knows nothing of them: they are applied on top of what it reports next time.
    registry.admit(agent.id, agentInfo(), Resources.parse('cpus:8;mem:1024'), 2000);
    expect(agent.resources.equals(Resources.parse('cpus:7;mem:896').add(reservations))).toBe(true);
    registry.admit(agent.id, agentInfo(), Resources.parse('cpus:0.5;mem:1024'), 3000);
    expect(agent.unappliedReservations.equals(dynamic('web', 'cpus:1'))).toBe(true);
    expect(agent.dynamicReservations.equals(reservations)).toBe(true);

    registry.setDynamicReservations(agent.id, Resources.empty());
    expect(agent.resources.equals(Resources.parse('cpus:0.5;mem:1024'))).toBe(true);
    expect(agent.stateJson().reserved).toEqual({});
  });

  it('keeps reservations set for an agent it does not know yet until it comes back under that id', () => {
    const registry = new AgentRegistry();
    const reservations = dynamic('web', 'cpus:2');
    registry.setDynamicReservations('agent-S1', reservations);
    const fresh = registry.admit(undefined, agentInfo(), reported(), 1000).agent;
    expect(fresh.dynamicReservations.isEmpty()).toBe(true);
    const back = registry.admit('agent-S1', agentInfo(), reported(), 1000).agent;
    expect(back.resources.equals(Resources.parse('cpus:2;mem:1024').add(reservations))).toBe(true);
  });
});
