import 'reflect-metadata';
import { mkdirSync } from 'node:fs';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { InvalidSettingError, loadPanelConfig, startupWarnings } from './panel/env';
import { configurePanel } from './panel/setup';
import { PanelTextLogger, PinoNestLogger, requestLogger } from './panel/logging';

/** The oldest Node the panel runs on (package.json `engines`); Debian 12's own is 18. */
const NODE_MINIMUM = [20, 19];

function assertNodeVersion(): void {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < NODE_MINIMUM[0] || (major === NODE_MINIMUM[0] && minor < NODE_MINIMUM[1])) {
    process.stderr.write(
      `Node ${process.versions.node} is too old: the panel needs Node ${NODE_MINIMUM.join('.')} or later (README: Production set-up).\n`,
    );
    process.exit(2);
  }
}

async function bootstrap(): Promise<void> {
  assertNodeVersion();
  let config;
  try {
    config = loadPanelConfig();
  } catch (error) {
    if (error instanceof InvalidSettingError) {
      process.stderr.write(`Invalid setting ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  // The data directory holds the database; nginx's workers traverse it to the policy files.
  mkdirSync(config.resolved.dataDir, { recursive: true, mode: 0o755 });
  const json = config.logFormat === 'json' ? new PinoNestLogger() : undefined;
  const app = await NestFactory.create(AppModule.forConfig(config), { logger: json ?? new PanelTextLogger() });
  if (json) app.use(requestLogger(json));
  configurePanel(app, config.trustProxy);
  app.enableShutdownHooks();
  await app.listen(config.port, config.host);
  const logger = new Logger('Panel');
  for (const warning of startupWarnings(config)) logger.warn(warning);
  logger.log(`Listening on http://${config.host}:${config.port}`);
}

void bootstrap();
