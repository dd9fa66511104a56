import type { TaskStatus } from '@pando/protocol';
import type { AgentObserver } from '../agents/agent.observer';
import type { AgentRecord } from '../agents/agent.record';
import type { Admission } from '../agents/agent-registry.service';
import type { FrameworkRecord } from '../frameworks/framework.record';
import { storedAgent, storedFramework } from '../registry/master-registry.service';
import type { RegistrySink } from '../registry/registry.sink';
import type { StatusUpdateSink } from '../tasks/status-update.sink';
import type { TaskRecord } from '../tasks/task.record';

/** A sink that remembers what reached it, standing in for the (future) frameworks layer. */
export class RecordingSink implements StatusUpdateSink {
  readonly agentUpdates: TaskStatus[] = [];
  readonly masterUpdates: TaskStatus[] = [];

  forwardAgentUpdate(_task: TaskRecord, status: TaskStatus, acknowledge: () => void): void {
    this.agentUpdates.push(status);
    acknowledge();
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

/** A registry sink that remembers the records it was given (as the registry would store them). */
export class RecordingRegistry implements RegistrySink {
  readonly changes: string[] = [];
  readonly records = new Map<string, unknown>();

  agentChanged(agent: AgentRecord): void {
    const stored = storedAgent(agent);
    this.changes.push(`agent ${agent.id} ${stored.state}`);
    this.records.set(`agents.${agent.id}`, stored);
  }

  frameworkChanged(record: FrameworkRecord): void {
    if (!record.persisted) return;
    const stored = storedFramework(record);
    this.changes.push(`framework ${record.id} ${stored.state}`);
    this.records.set(`frameworks.${record.id}`, stored);
  }

  frameworkForgotten(frameworkId: string): void {
    this.changes.push(`forgot framework ${frameworkId}`);
    this.records.delete(`frameworks.${frameworkId}`);
  }
}
