import type { TaskInfo, TaskState } from '@pando/protocol';
import { SIM_DURATION_LABEL, SIM_EXIT_CODE_LABEL, SimExecutor, simExecutorPlugin } from './sim.executor';

function task(labels: Record<string, string> = {}): TaskInfo {
  return { taskId: 't1', name: 't1', frameworkId: 'f', agentId: 'a', resources: [], executor: 'sim', labels };
}

function recorder(): { states: TaskState[]; driver: { update: (s: TaskState) => void } } {
  const states: TaskState[] = [];
  return { states, driver: { update: (s) => states.push(s) } };
}

describe('sim executor', () => {
  it('is a valid executor plugin named sim', () => {
    expect(simExecutorPlugin.id).toBe('sim');
  });

  it('runs at once and finishes after the labelled duration', async () => {
    const exec = new SimExecutor();
    const r = recorder();
    await exec.launch({ task: task({ [SIM_DURATION_LABEL]: '20' }), sandboxDir: '/tmp', ports: [], env: {} }, r.driver);
    expect(r.states).toEqual(['RUNNING']);
    await new Promise((res) => setTimeout(res, 60));
    expect(r.states).toEqual(['RUNNING', 'FINISHED']);
  });

  it('fails with the labelled exit code', async () => {
    const exec = new SimExecutor();
    const r = recorder();
    await exec.launch({ task: task({ [SIM_DURATION_LABEL]: '1', [SIM_EXIT_CODE_LABEL]: '2' }), sandboxDir: '/tmp', ports: [], env: {} }, r.driver);
    await new Promise((res) => setTimeout(res, 30));
    expect(r.states).toEqual(['RUNNING', 'FAILED']);
  });

  it('runs until killed without a duration, and kill is idempotent', async () => {
    const exec = new SimExecutor();
    const r = recorder();
    await exec.launch({ task: task(), sandboxDir: '/tmp', ports: [], env: {} }, r.driver);
    await exec.kill('t1');
    await exec.kill('t1');
    expect(r.states).toEqual(['RUNNING', 'KILLED']);
  });

  it('refuses a duration that is not a number', () => {
    expect(new SimExecutor().validate(task({ [SIM_DURATION_LABEL]: 'soon' }))[0]).toMatch(/duration-ms/);
  });
});
