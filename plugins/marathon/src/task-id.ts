import { randomUUID } from 'node:crypto';
import { flattenAppId, unflattenAppId } from './path-id';

/**
 * Task ids in two spellings. Marathon shows `team_web.5f4c...` (the app path with '/' -> '_',
 * a '.', a uuid), and clients parse it to find the app. Pando ids travel in NATS subjects, so
 * they cannot hold '.'; Pando's spelling replaces every '.' with ':'. App ids never contain ':'
 * or '_' and uuids contain neither '.' nor ':', so both directions are exact.
 */

export function newMarathonTaskId(appId: string, uuid: string = randomUUID()): string {
  return `${flattenAppId(appId)}.${uuid}`;
}

export function toPandoTaskId(marathonTaskId: string): string {
  return marathonTaskId.replaceAll('.', ':');
}

export function toMarathonTaskId(pandoTaskId: string): string {
  return pandoTaskId.replaceAll(':', '.');
}

/** A fresh task id for `appId`, in Pando's spelling (what a TaskSpec carries). */
export function newPandoTaskId(appId: string, uuid?: string): string {
  return toPandoTaskId(newMarathonTaskId(appId, uuid));
}

/** The app a task belongs to, from either spelling; undefined when the id is not Marathon-shaped. */
export function appIdOfTask(taskId: string): string | undefined {
  const marathonId = toMarathonTaskId(taskId);
  const dot = marathonId.lastIndexOf('.');
  if (dot <= 0) return undefined;
  return unflattenAppId(marathonId.slice(0, dot));
}

/** Marathon's instance id for a task (`team_web.marathon-<uuid>`), shown in health results. */
export function instanceIdOfTask(taskId: string): string {
  const marathonId = toMarathonTaskId(taskId);
  const dot = marathonId.lastIndexOf('.');
  return dot <= 0 ? marathonId : `${marathonId.slice(0, dot)}.marathon-${marathonId.slice(dot + 1)}`;
}
