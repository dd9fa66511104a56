import { Injectable } from '@nestjs/common';
import type { DeploymentAction } from '../deployment.planner';
import type { RestartProgress } from '../rolling-restart.machine';
import type { StoredDeployment } from './app-store.service';

/** A deployment in progress, with what the runner tracks about it (not stored). */
export interface RunningDeployment {
  record: StoredDeployment;
  /** Progress of the current step, to fail it when it stalls. */
  progress?: RestartProgress;
  /** When the current step began (in this process). */
  stepStartedAt: number;
  /** When the current step launched its first task (arms the deadline). */
  armedAt?: number;
}

/** How the instance keeper must treat an app while deployments touch it. */
export interface PlannedState {
  /** The app's action in the current step of the newest deployment touching it. */
  action?: DeploymentAction;
  /** The app's turn comes in a later step: keep it at this instance count meanwhile. */
  holdAt?: number;
}

/**
 * The deployments in progress and the locks they hold: every app a deployment touches is locked
 * until it ends. A plain registry shared by the deployment runner (which changes it) and the
 * instance keeper and API (which read it).
 */
@Injectable()
export class DeploymentRegistry {
  private readonly running = new Map<string, RunningDeployment>();
  /** Deployment ids by affected app id. */
  private readonly locks = new Map<string, Set<string>>();

  add(record: StoredDeployment, now: number): RunningDeployment {
    const running: RunningDeployment = { record, stepStartedAt: now };
    this.running.set(record.id, running);
    for (const appId of affectedAppIds(record)) {
      const ids = this.locks.get(appId) ?? new Set<string>();
      ids.add(record.id);
      this.locks.set(appId, ids);
    }
    return running;
  }

  remove(id: string): RunningDeployment | undefined {
    const running = this.running.get(id);
    if (!running) return undefined;
    this.running.delete(id);
    for (const appId of affectedAppIds(running.record)) {
      const ids = this.locks.get(appId);
      ids?.delete(id);
      if (ids?.size === 0) this.locks.delete(appId);
    }
    return running;
  }

  get(id: string): RunningDeployment | undefined {
    return this.running.get(id);
  }

  all(): RunningDeployment[] {
    return [...this.running.values()].sort((a, b) => a.record.startedAt - b.record.startedAt);
  }

  get size(): number {
    return this.running.size;
  }

  /** Ids of the deployments that lock the app (oldest first). */
  lockedBy(appId: string): string[] {
    const ids = this.locks.get(appId);
    if (!ids) return [];
    return [...ids].sort((a, b) => (this.running.get(a)?.record.startedAt ?? 0) - (this.running.get(b)?.record.startedAt ?? 0));
  }

  /**
   * What the newest deployment touching the app says about it now: its action in the current
   * step, or, when its turn comes later (dependencies go first), the count to hold it at.
   */
  plannedState(appId: string): PlannedState {
    const ids = this.lockedBy(appId);
    const record = ids.length > 0 ? this.running.get(ids[ids.length - 1]!)?.record : undefined;
    if (!record) return {};
    const current = record.steps[record.currentStep - 1]?.actions.find((a) => a.app === appId);
    if (current) return { action: current };
    const later = record.steps.slice(record.currentStep).some((s) => s.actions.some((a) => a.app === appId));
    return later ? { holdAt: record.original[appId]?.instances ?? 0 } : {};
  }
}

export function affectedAppIds(record: StoredDeployment): string[] {
  return [...new Set(record.steps.flatMap((s) => s.actions.map((a) => a.app)))];
}
