import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from './config';
import { HostModule } from './host.module';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await NestFactory.create(HostModule.register(config));
  app.enableShutdownHooks();
  await app.listen(config.port, config.host);
  console.log(`Mail panel on http://${config.host}:${config.port}/`);
}

void main();
