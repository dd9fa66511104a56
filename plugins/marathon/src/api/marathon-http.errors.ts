import { ConflictError, NotFoundError } from '@pando/common';

/** 409: a change touches apps that a deployment in progress holds (Marathon's AppLockedException). */
export class AppLockedError extends ConflictError {
  constructor(readonly deploymentIds: readonly string[]) {
    super(
      `App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/${deploymentIds.join(',')}'.`,
    );
  }

  toMarathonJson(): Record<string, unknown> {
    return { message: this.message, deployments: this.deploymentIds.map((id) => ({ id })) };
  }
}

export function appNotFound(appId: string): NotFoundError {
  return new NotFoundError(`App '${appId}' does not exist`);
}

export function groupNotFound(groupId: string): NotFoundError {
  return new NotFoundError(`Group '${groupId}' does not exist`);
}

export function taskNotFound(taskId: string): NotFoundError {
  return new NotFoundError(`Task '${taskId}' does not exist`);
}

export function deploymentNotFound(id: string): NotFoundError {
  return new NotFoundError(`DeploymentPlan ${id} does not exist`);
}
