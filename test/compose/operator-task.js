'use strict';
// The operator path of the compose smoke test, run inside the Pando image (it uses the image's own
// protocol code and NATS client): launches one task on an agent outside any framework, or kills it.
//
//   node operator-task.js launch <nats url> <agent id> <task json>   prints {"taskId": ...}
//   node operator-task.js kill <nats url> <task id>
//
// <task json> is the `task` of an OperatorLaunchRequest, except that `resources` may be given in
// Mesos text form ("cpus:0.1;mem:32;ports:[31000-31000]").
const APP = process.env.PANDO_APP_DIR || '/app';
const { connect } = require(`${APP}/node_modules/@nats-io/transport-node`);
const { request, Subjects, operatorLaunchReplySchema, okReplySchema } = require(`${APP}/dist/libs/protocol/src/index.js`);
const { Resources } = require(`${APP}/dist/libs/resources/src/index.js`);

async function main() {
  const [command, natsUrl, ...rest] = process.argv.slice(2);
  const nc = await connect({ servers: natsUrl.split(','), timeout: 5000 });
  try {
    if (command === 'launch') {
      const [agentId, taskJson] = rest;
      const task = JSON.parse(taskJson);
      if (typeof task.resources === 'string') task.resources = Resources.parse(task.resources).toJson();
      const reply = await request(nc, Subjects.operatorLaunch, { agentId, task }, operatorLaunchReplySchema, 'operator launch', 10_000);
      console.log(JSON.stringify({ taskId: reply.taskId, agentId: reply.agentId }));
    } else if (command === 'kill') {
      await request(nc, Subjects.operatorKill, { taskId: rest[0], gracePeriodMs: 1000 }, okReplySchema, 'operator kill', 10_000);
      console.log(JSON.stringify({ killed: rest[0] }));
    } else {
      throw new Error(`unknown command '${command}' (launch or kill)`);
    }
  } finally {
    await nc.close();
  }
}

main().catch((err) => {
  console.error(`operator-task: ${err && err.message ? err.message : String(err)}`);
  process.exit(1);
});
