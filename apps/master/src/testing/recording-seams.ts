import type { TaskStatus } from '@pando/protocol';
import type { AgentObserver } from '../agents/agent.observer';
import type { AgentRecord } from '../agents/agent.record';
import type { Admission } from '../agents/agent-registry.service';
import type { StatusUpdateSink } from '../tasks/status-update.sink';
import type { TaskRecord } from '../tasks/task.record';

/** A sink that remembers what reached it, standing in for the (future) frameworks layer. */
export class RecordingSink implements StatusUpdateSink {
  readonly agentUpdates: TaskStatus[] = [];
  readonly masterUpdates: TaskStatus[] = [];

  forwardAgentUpdate(_task: TaskRecord, status: TaskStatus): void {
    this.agentUpdates.push(status);
  }

  forwardMasterUpdate(_task: TaskRecord, status: TaskStatus): void {
    this.masterUpdates.push(status);
  }
}

/** An agent observer that remembers what it was told (stands in for the allocator). */
export class RecordingObserver implements AgentObserver {
  readonly admitted: Admission[] = [];
  readonly unreachable: AgentRecord[] = [];

  agentAdmitted(admission: Admission): void {
    this.admitted.push(admission);
  }

  agentUnreachable(agent: AgentRecord): void {
    this.unreachable.push(agent);
  }
}
