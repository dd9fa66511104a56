// End-to-end suites start real processes (nats-server, masters, agents, containers): a test may
// legitimately wait for detection timeouts of several seconds. Jest's 5 s default is for units.
jest.setTimeout(90_000);
