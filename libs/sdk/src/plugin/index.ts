export * from './plugin-store.interface';
export * from './framework-plugin.contract';
export * from './define-framework-plugin';
