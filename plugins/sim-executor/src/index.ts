export * from './sim.executor';
