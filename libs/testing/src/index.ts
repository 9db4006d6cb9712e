export * from './test-database';
export * from './factories';
export * from './test-config';
export * from './fault-proxy';
export * from './app-process';
export * from './stripe-test-server';
export * from './eventually';
export * from './stripe-events';
