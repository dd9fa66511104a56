import { ConflictError, InputError, NotFoundError, UnavailableError } from '@pando/common';
import { anOffer, pause, recordingScheduler, until, useDriverHarness } from './driver-spec.fixture';

jest.setTimeout(20_000);

describe('SchedulerDriver calls against a scripted master on a real nats-server', () => {
  const { scriptedMaster, driverFor } = useDriverHarness();

  it('stop({ failover: false }) tears the framework down', async () => {
    const master = await scriptedMaster();
    const { scheduler, rec } = recordingScheduler();
    const driver = await driverFor(scheduler);
    await driver.start();

    await driver.stop({ failover: false });

    expect(master.callsOf('TEARDOWN')).toEqual([{ type: 'TEARDOWN', frameworkId: 'fw-1' }]);
    expect(driver.state).toBe('stopped');
    master.publish('fw-1', { type: 'OFFERS', offers: [anOffer('after-stop', 'fw-1')] });
    await pause(100);
    expect(rec.offers).toHaveLength(0);
    await expect(driver.decline('after-stop')).rejects.toBeInstanceOf(UnavailableError);
  });

  it('rejects refused calls with the typed error, and invalid calls before sending them', async () => {
    const master = await scriptedMaster();
    master.refuse = (call) => (call.type === 'KILL' ? new NotFoundError(`unknown task '${call.kill.taskId}'`) : undefined);
    const driver = await driverFor(recordingScheduler().scheduler);
    await driver.start();

    const kill = driver.kill('ghost', 'agent-1', 100);
    await expect(kill).rejects.toBeInstanceOf(NotFoundError);
    await expect(kill).rejects.toMatchObject({ code: 'NOT_FOUND', message: "unknown task 'ghost'" });
    expect(master.callsOf('KILL')[0].kill).toEqual({ taskId: 'ghost', agentId: 'agent-1', killPolicy: { gracePeriodMs: 100 } });

    const sent = master.calls.length;
    await expect(driver.decline([])).rejects.toBeInstanceOf(InputError);
    await expect(driver.kill('bad.id')).rejects.toBeInstanceOf(InputError);
    expect(master.calls.length).toBe(sent);
    expect(driver.state).toBe('subscribed');
  });

  it('sends each call in the shape of the protocol', async () => {
    const master = await scriptedMaster();
    const driver = await driverFor(recordingScheduler().scheduler);
    await driver.start();
    const offer = anOffer('o1', 'fw-1');
    const task = { taskId: 't1', name: 'sleeper', agentId: 'agent-1', resources: offer.resources, command: { value: 'sleep 30' } };

    await driver.launch(offer, [task], { refuseSeconds: 30 });
    await driver.launchGroup(['o2'], [task]);
    await driver.decline(['o3', 'o4'], { refuseSeconds: 3600 });
    await driver.revive(['web']);
    await driver.shutdown('agent-1');
    await driver.acknowledge('agent-1', 't1', 'u1');
    await driver.reconcile([{ taskId: 't1' }]);
    await driver.message('agent-1', 't1', 'aGk=');
    await driver.updateFramework({ name: 'renamed', roles: ['web'] });

    const byType = (type: string) => master.calls.find((c) => c.type === type);
    expect(byType('ACCEPT')).toMatchObject({
      frameworkId: 'fw-1',
      accept: { offerIds: ['o1'], operations: [{ type: 'LAUNCH', launch: { taskInfos: [{ taskId: 't1', executor: 'command' }] } }], filters: { refuseSeconds: 30 } },
    });
    expect(master.callsOf('ACCEPT')[1].accept.operations[0]).toMatchObject({ type: 'LAUNCH_GROUP', launchGroup: { taskGroup: { tasks: [{ taskId: 't1' }] } } });
    expect(byType('DECLINE')).toEqual({ type: 'DECLINE', frameworkId: 'fw-1', decline: { offerIds: ['o3', 'o4'], filters: { refuseSeconds: 3600 } } });
    expect(byType('REVIVE')).toEqual({ type: 'REVIVE', frameworkId: 'fw-1', revive: { roles: ['web'] } });
    expect(byType('SHUTDOWN')).toEqual({ type: 'SHUTDOWN', frameworkId: 'fw-1', shutdown: { agentId: 'agent-1' } });
    expect(master.callsOf('RECONCILE').at(-1)).toEqual({ type: 'RECONCILE', frameworkId: 'fw-1', reconcile: { tasks: [{ taskId: 't1' }] } });
    expect(byType('MESSAGE')).toEqual({ type: 'MESSAGE', frameworkId: 'fw-1', message: { agentId: 'agent-1', taskId: 't1', data: 'aGk=' } });
    expect(byType('UPDATE_FRAMEWORK')).toMatchObject({ updateFramework: { frameworkInfo: { id: 'fw-1', name: 'renamed', roles: ['web'] } } });
    expect(driver.frameworkInfo).toMatchObject({ id: 'fw-1', name: 'renamed', roles: ['web'] });
  });

  it('stops and calls error when the master refuses the SUBSCRIBE', async () => {
    const master = await scriptedMaster();
    master.refuse = (call) => (call.type === 'SUBSCRIBE' ? new ConflictError('framework fw-gone was removed') : undefined);
    const { scheduler, rec } = recordingScheduler();
    const driver = await driverFor(scheduler, { id: 'fw-gone' });

    await expect(driver.start()).rejects.toBeInstanceOf(ConflictError);
    await until(() => rec.errors.length === 1, 'error callback');
    expect(rec.errors[0]).toContain('framework fw-gone was removed');
    expect(driver.state).toBe('stopped');
    expect(rec.trace).toEqual(['error']);
  });

  it('stops and calls error, last, when the master removes the framework', async () => {
    const master = await scriptedMaster();
    const { scheduler, rec } = recordingScheduler();
    const driver = await driverFor(scheduler);
    await driver.start();

    master.publish('fw-1', { type: 'ERROR', error: { message: 'failover timeout expired' } });
    master.publish('fw-1', { type: 'OFFERS', offers: [anOffer('too-late', 'fw-1')] });
    await until(() => rec.errors.length === 1, 'error callback');
    await pause(100);

    expect(rec.errors[0]).toContain('failover timeout expired');
    expect(rec.trace).toEqual(['subscribed:false', 'error']);
    expect(driver.state).toBe('stopped');
    await expect(master.heartbeatRequest('fw-1', 300)).rejects.toThrow();
  });
});
