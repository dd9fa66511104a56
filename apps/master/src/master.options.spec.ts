import './testing/quiet-logs';
import { InputError } from '@pando/common';
import { readMasterOptions } from './master.options';

describe('readMasterOptions', () => {
  it('has the documented defaults', () => {
    const options = readMasterOptions([], {});
    expect(options).toMatchObject({
      http: { host: '0.0.0.0', port: 5050 },
      heartbeatIntervalMs: 3000,
      maxMissedHeartbeats: 4,
      completedTasks: 1000,
      nats: { servers: ['nats://127.0.0.1:4222'] },
    });
    expect(options.masterId).toMatch(/^[0-9a-f-]{36}$/);
    expect(options.hostname.length).toBeGreaterThan(0);
  });

  it('takes flags over environment variables', () => {
    const options = readMasterOptions(['--http', '127.0.0.1:6060', '--master-id=m1'], {
      PANDO_MASTER_HTTP: ':7070',
      PANDO_HEARTBEAT_INTERVAL_MS: '1000',
      PANDO_MAX_MISSED_HEARTBEATS: '2',
      PANDO_MASTER_HOSTNAME: 'master.example',
      PANDO_COMPLETED_TASKS: '5',
      PANDO_NATS_SERVERS: 'nats://a:4222,nats://b:4222',
    });
    expect(options).toMatchObject({
      http: { host: '127.0.0.1', port: 6060 },
      heartbeatIntervalMs: 1000,
      maxMissedHeartbeats: 2,
      masterId: 'm1',
      hostname: 'master.example',
      completedTasks: 5,
      nats: { servers: ['nats://a:4222', 'nats://b:4222'] },
    });
  });

  it('names every bad value', () => {
    let error: unknown;
    try {
      readMasterOptions(['--heartbeat-interval-ms', 'soon', '--master-id', 'a.b'], { PANDO_COMPLETED_TASKS: '-1' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).details).toHaveLength(3);
    expect((error as InputError).message).toContain('PANDO_HEARTBEAT_INTERVAL_MS');
  });
});
