import '../testing/quiet-logs';
import { Resources } from '@pando/resources';
import { agentInfo, masterOptions, resourcesJson, taskInfo, taskStatus } from '../testing/factories';
import { FakeClock } from '../testing/fake-clock';
import { RecordingObserver, RecordingSink } from '../testing/recording-seams';
import { TaskTable } from '../tasks/task-table.service';
import { AgentLivenessService } from './agent-liveness.service';
import { AgentRegistry } from './agent-registry.service';

function setup() {
  const clock = new FakeClock();
  const registry = new AgentRegistry();
  const tasks = new TaskTable(100);
  const sink = new RecordingSink();
  const observer = new RecordingObserver();
  const liveness = new AgentLivenessService(registry, tasks, sink, observer, masterOptions({ heartbeatIntervalMs: 3000, maxMissedHeartbeats: 4 }), clock);
  const admit = (hostname: string) => registry.admit(undefined, agentInfo(hostname), Resources.fromJson(resourcesJson(4, 1024)), clock.now()).agent;
  return { clock, registry, tasks, sink, observer, liveness, admit };
}

describe('AgentLivenessService', () => {
  it('marks an agent unreachable after interval x max missed heartbeats, within one check tick', () => {
    const { clock, liveness, admit } = setup();
    const agent = admit('quiet');
    liveness.startLeading();
    clock.advance(12_000);
    expect(agent.active).toBe(true);
    clock.advance(1_000);
    expect(agent.active).toBe(false);
    liveness.onModuleDestroy();
  });

  it('keeps agents that heartbeat active', () => {
    const { clock, registry, liveness, admit } = setup();
    const chatty = admit('chatty');
    const quiet = admit('quiet');
    liveness.startLeading();
    for (let i = 0; i < 10; i++) {
      clock.advance(3000);
      registry.heartbeat(chatty.id, clock.now());
    }
    expect(chatty.active).toBe(true);
    expect(quiet.active).toBe(false);
    expect(registry.unreachableCount).toBe(1);
    liveness.onModuleDestroy();
  });

  it('turns the non-terminal tasks of an unreachable agent UNREACHABLE and tells the sink', () => {
    const { clock, tasks, sink, observer, liveness, admit } = setup();
    const agent = admit('node');
    const running = taskInfo('running', agent.id);
    tasks.apply(tasks.addLaunched(running, clock.now()), taskStatus(running, 'RUNNING', { uuid: 'u1' }), clock.now());
    const done = taskInfo('done', agent.id);
    tasks.apply(tasks.addLaunched(done, clock.now()), taskStatus(done, 'FINISHED', { uuid: 'u2' }), clock.now());
    clock.advance(12_001);
    expect(liveness.check().map((a) => a.id)).toEqual([agent.id]);
    expect(tasks.get('running')?.state).toBe('UNREACHABLE');
    expect(tasks.get('done')?.state).toBe('FINISHED');
    expect(sink.masterUpdates).toEqual([
      expect.objectContaining({ taskId: 'running', state: 'UNREACHABLE', source: 'SOURCE_MASTER', reason: 'REASON_AGENT_DISCONNECTED' }),
    ]);
    expect(observer.unreachable).toEqual([agent]);
    expect(liveness.check()).toEqual([]);
  });

  it('marks nobody while NATS is down, nor for one timeout after it is back', () => {
    const { clock, registry, liveness, admit } = setup();
    const agent = admit('node');
    const dead = admit('dead');
    liveness.natsDisconnected();
    clock.advance(60_000);
    expect(liveness.check()).toEqual([]);
    liveness.natsReconnected();
    clock.advance(11_000);
    registry.heartbeat(agent.id, clock.now());
    expect(liveness.check()).toEqual([]);
    clock.advance(1_001);
    expect(liveness.check()).toEqual([dead]);
    expect(agent.active).toBe(true);
  });

  it('stops checking once destroyed', () => {
    const { clock, liveness, admit } = setup();
    const agent = admit('node');
    liveness.startLeading();
    liveness.onModuleDestroy();
    clock.advance(60_000);
    expect(agent.active).toBe(true);
  });
});
