import { planAppDeployment } from './deployment.planner';
import {
  deploymentFinishedEvent,
  deploymentStepEvent,
  eventFilter,
  healthStatusChangedEvent,
  statusUpdateEvent,
  streamAttachedEvent,
  toServerSentEvent,
} from './marathon-events.view';
import { app, T0, task } from './testing/marathon.fixtures';

describe('Marathon events', () => {
  const web = app({ id: '/team/web' });
  const t = task(web, { taskId: 'team_web:u-1', hostPorts: [31000] });

  it('status_update_event uses Marathon names', () => {
    expect(statusUpdateEvent(t, T0, 'ok')).toEqual({
      slaveId: 'agent-1',
      taskId: 'team_web.u-1',
      taskStatus: 'TASK_RUNNING',
      message: 'ok',
      appId: '/team/web',
      host: 'host-1',
      ipAddresses: [],
      ports: [31000],
      version: web.version,
      eventType: 'status_update_event',
      timestamp: '2024-05-01T10:00:00.000Z',
    });
    expect(healthStatusChangedEvent(t, false, T0)).toMatchObject({ instanceId: 'team_web.marathon-u-1', alive: false });
  });

  it('deployment events carry the plan and the current step', () => {
    const plan = planAppDeployment(undefined, web, [], { version: web.version, id: 'd-1' });
    const info = deploymentStepEvent('deployment_info', { ...plan, currentStep: 1 }, T0);
    expect(info).toMatchObject({ eventType: 'deployment_info', currentStep: { actions: [{ action: 'StartApplication', app: '/team/web' }] }, plan: { id: 'd-1', version: web.version } });
    expect((info.plan as { target: { groups: Array<{ id: string }> } }).target.groups[0]!.id).toBe('/team');
    expect(deploymentFinishedEvent(plan, false, T0, 'timed out')).toMatchObject({ eventType: 'deployment_failed', id: 'd-1', reason: 'timed out' });
  });

  it('formats SSE frames and filters by event_type', () => {
    const attached = streamAttachedEvent('127.0.0.1', T0);
    expect(toServerSentEvent(attached)).toBe(`event: event_stream_attached\ndata: {"remoteAddress":"127.0.0.1","eventType":"event_stream_attached","timestamp":"2024-05-01T10:00:00.000Z"}\n\n`);
    expect(eventFilter(['status_update_event'])(attached)).toBe(false);
    expect(eventFilter(undefined)(attached)).toBe(true);
  });
});
