/**
 * Every NATS subject Pando uses. Nothing else in the code base writes a subject string:
 * import these. Ids embedded in subjects are subject-safe (see isSubjectSafeId in common).
 *
 * Direction is in the name: `pando.master.*` is served by the leading master,
 * `pando.agent.<id>.*` by one agent, `pando.framework.<id>.*` by one framework.
 */
const PREFIX = 'pando';

export const Subjects = {
  /** agent -> master, request/reply: RegisterAgentRequest -> RegisterAgentReply. */
  agentRegister: `${PREFIX}.master.agent.register`,
  /** agent -> master, request/reply: HeartbeatRequest -> HeartbeatReply. */
  agentHeartbeat: `${PREFIX}.master.agent.heartbeat`,
  /** agent -> master, publish: StatusUpdateMessage (retried by the agent until acknowledged). */
  agentStatus: `${PREFIX}.master.agent.status`,
  /** agent -> master, publish: ExecutorToFrameworkMessage (an executor's message for its task's framework). */
  executorMessage: `${PREFIX}.master.agent.message`,
  /** master -> every agent, publish: MasterHello, sent when a master starts leading. */
  masterHello: `${PREFIX}.agents.master-hello`,
  /** operator -> master, request/reply: OperatorLaunchRequest -> OperatorLaunchReply. */
  operatorLaunch: `${PREFIX}.master.operator.launch-task`,
  /** operator -> master, request/reply: OperatorKillRequest -> OkReply. */
  operatorKill: `${PREFIX}.master.operator.kill-task`,
  /** framework -> master, request/reply: scheduler calls (SUBSCRIBE, ACCEPT, ...). */
  schedulerCall: `${PREFIX}.master.scheduler.call`,

  /** master -> agent, publish: LaunchTasksMessage. */
  agentLaunch: (agentId: string): string => `${PREFIX}.agent.${agentId}.launch`,
  /** master -> agent, publish: KillTaskMessage. */
  agentKill: (agentId: string): string => `${PREFIX}.agent.${agentId}.kill`,
  /** master -> agent, publish: StatusAckMessage. */
  agentStatusAck: (agentId: string): string => `${PREFIX}.agent.${agentId}.status-ack`,
  /** master -> agent, publish: FrameworkToExecutorMessage (a framework's message for a task's executor). */
  agentMessage: (agentId: string): string => `${PREFIX}.agent.${agentId}.message`,
  /** Everything addressed to one agent (its subscription). */
  agentInbox: (agentId: string): string => `${PREFIX}.agent.${agentId}.>`,

  /** master -> framework, publish: scheduler events. */
  frameworkEvents: (frameworkId: string): string => `${PREFIX}.framework.${frameworkId}.events`,
} as const;

/** The last token of an agent inbox subject ('launch', 'kill', 'status-ack', 'message'). */
export function agentSubjectVerb(subject: string): string {
  return subject.slice(subject.lastIndexOf('.') + 1);
}
