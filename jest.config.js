// Jest runs TypeScript through @swc/jest (to CommonJS). NestJS 12 and @nats-io ship ESM only,
// so they are transformed too instead of being ignored like the rest of node_modules.
const swc = {
  jsc: {
    target: 'es2023',
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};
const common = {
  transform: { '^.+\\.(t|j|mj)s$': ['@swc/jest', swc] },
  transformIgnorePatterns: ['/node_modules/(?!(@nestjs|@nats-io)/)'],
  moduleNameMapper: {
    '^@pando/(protocol|resources|sdk|common|testing)$': '<rootDir>/libs/$1/src/index.ts',
    '^@pando/plugin-(.*)$': '<rootDir>/plugins/$1/src/index.ts',
  },
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  testEnvironment: 'node',
};
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,plugins}/**/*.spec.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts', '<rootDir>/examples/*/test/**/*.e2e-spec.ts'], slowTestThreshold: 60, setupFilesAfterEnv: ['<rootDir>/test/e2e.setup.ts'] },
  ],
};
