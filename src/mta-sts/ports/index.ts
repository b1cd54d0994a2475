export * from './certificate-authority.port';
export * from './clock.port';
export * from './dns-resolver.port';
export * from './file-store.port';
export * from './http-client.port';
export * from './process-runner.port';
export * from './web-server.port';
