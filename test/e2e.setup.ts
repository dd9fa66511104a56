import { cleanUpTestProcesses } from '@pando/testing';

// End-to-end suites start real processes (nats-server, masters, agents, containers): a test may
// legitimately wait for detection timeouts of several seconds. Jest's 5 s default is for units.
jest.setTimeout(90_000);

// Whatever a suite did or failed to do, nothing it started outlives its file.
afterAll(async () => {
  await cleanUpTestProcesses();
});
