import { storeKey, storeKeyPart } from '@pando/sdk';

/**
 * The plugin's KV layout, one entity per key (see README "Persistence"):
 *
 *   apps.<app id>                  the current AppDefinition
 *   versions.<app id>.<version>    every kept version of the app (AppDefinition)
 *   deployments.<deployment id>    a deployment in progress (plan, current step)
 *   failures.<app id>              the app's lastTaskFailure
 *   tasks.<batch id>               write-ahead record of one launch (one app, one agent, many tasks)
 */
export const KEY_FAMILIES = { apps: 'apps', versions: 'versions', deployments: 'deployments', failures: 'failures', tasks: 'tasks' } as const;

export const appKey = (appId: string): string => storeKey(KEY_FAMILIES.apps, appId);
export const versionKey = (appId: string, version: string): string => storeKey(KEY_FAMILIES.versions, appId, version);
/** Prefix of every version key of one app (the trailing dot keeps `/a` apart from `/ab`). */
export const versionPrefix = (appId: string): string => `${storeKey(KEY_FAMILIES.versions, appId)}.`;
export const deploymentKey = (id: string): string => storeKey(KEY_FAMILIES.deployments, id);
export const failureKey = (appId: string): string => storeKey(KEY_FAMILIES.failures, appId);
export const launchKey = (batchId: string): string => storeKey(KEY_FAMILIES.tasks, batchId);
export const familyPrefix = (family: keyof typeof KEY_FAMILIES): string => `${KEY_FAMILIES[family]}.`;

/** The parts after the family of a key made by these builders. */
export function keyParts(key: string): string[] {
  return key.split('.').slice(1).map(storeKeyPart);
}
