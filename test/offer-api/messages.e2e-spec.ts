import { ConflictError, NotFoundError } from '@pando/common';
import { TestCluster, waitFor } from '@pando/testing';
import { FAST_MASTER_ARGS, TestFramework } from './test-framework.fixture';

jest.setTimeout(60_000);

const base64 = (text: string): string => Buffer.from(text).toString('base64');
const text = (data: string): string => Buffer.from(data, 'base64').toString();

/**
 * Framework messages over a real nats-server, master and agent with the command executor:
 * framework -> task (MESSAGE call, appended to $PANDO_INBOX) and task -> framework (lines of
 * $PANDO_OUTBOX, MESSAGE events), and the typed refusals of undeliverable messages.
 */
describe('framework messages', () => {
  let cluster: TestCluster;
  let fw: TestFramework;
  /** How many messages had arrived when each task's terminal update was delivered (events come in order). */
  const messagesAtEnd = new Map<string, number>();

  beforeAll(async () => {
    cluster = await TestCluster.start({ agents: 1, masterArgs: FAST_MASTER_ARGS });
    fw = await TestFramework.start({
      natsUrl: cluster.nats.url,
      info: { name: 'chatty', roles: ['chat'] },
      onUpdate: (me, status) => {
        if (status.state === 'FINISHED' && !messagesAtEnd.has(status.taskId)) messagesAtEnd.set(status.taskId, me.messages.length);
      },
    });
  });

  afterAll(async () => {
    await fw?.stop();
    await cluster?.stop();
  });

  const launch = async (name: string, command: string): Promise<{ taskId: string; agentId: string }> => {
    const offer = fw.take(await fw.anyOffer());
    const task = fw.task(offer, name, 'cpus:0.1;mem:32', command);
    await fw.driver.launch(offer, [task], { refuseSeconds: 0 });
    await fw.stateOf(task.taskId, ['RUNNING']);
    return { taskId: task.taskId, agentId: offer.agentId };
  };

  it('carries a message from the framework to the task and the answers back, in order', async () => {
    // The task greets, then answers every line of its inbox through its outbox; 'bye' ends it.
    const script = [
      'echo "hello from $PANDO_TASK_ID" >> "$PANDO_OUTBOX"',
      'tail -n +1 -f "$PANDO_INBOX" | while read -r line; do',
      '  echo "echo: $line" >> "$PANDO_OUTBOX"',
      '  if [ "$line" = bye ]; then exit 0; fi',
      'done',
    ].join('\n');
    const { taskId, agentId } = await launch('echo-task', script);
    await waitFor(() => fw.messages.length >= 1, 'the greeting');
    expect(fw.messages[0]).toEqual({ agentId, taskId, data: base64(`hello from ${taskId}`) });

    await fw.driver.message(agentId, taskId, base64('ping\n'));
    await fw.driver.message(agentId, taskId, base64('pong\n'));
    await fw.driver.message(agentId, taskId, base64('bye\n'));
    await fw.stateOf(taskId, ['FINISHED']);
    await waitFor(() => fw.messages.length >= 4, 'the answers');
    expect(fw.messages.map((m) => text(m.data))).toEqual([`hello from ${taskId}`, 'echo: ping', 'echo: pong', 'echo: bye']);
    expect(fw.messages.every((m) => m.agentId === agentId && m.taskId === taskId)).toBe(true);
    // Its last answer came before its terminal update.
    expect(messagesAtEnd.get(taskId)).toBe(4);
  });

  it('refuses a message it cannot deliver with a typed error naming the agent or task', async () => {
    const agentId = cluster.agents[0]!.agentId;
    await expect(fw.driver.message('no-such-agent', 'whatever', base64('hi'))).rejects.toThrow(NotFoundError);
    await expect(fw.driver.message('no-such-agent', 'whatever', base64('hi'))).rejects.toThrow(/agent 'no-such-agent' is not known/);
    await expect(fw.driver.message(agentId, 'no-such-task', base64('hi'))).rejects.toThrow(/task 'no-such-task' is not known/);
    const ended = fw.updates.find((u) => u.state === 'FINISHED')!;
    await expect(fw.driver.message(agentId, ended.taskId, base64('hi'))).rejects.toThrow(ConflictError);
    // Malformed data never reaches the master: the driver validates the call first.
    await expect(fw.driver.message(agentId, ended.taskId, 'not base64!')).rejects.toThrow(/base64/);
    // The master and the framework carry on.
    const { taskId } = await launch('still-fine', 'while true; do sleep 1; done');
    await fw.driver.message(agentId, taskId, base64('x\n'));
    expect(fw.errors).toEqual([]);
  });
});
