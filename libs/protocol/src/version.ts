/**
 * Bumped whenever a message changes incompatibly. Agents and frameworks send it on
 * registration; the master refuses a different major version with a clear error.
 */
export const PROTOCOL_VERSION = 1;
