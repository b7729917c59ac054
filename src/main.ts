import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { DemoModule } from './demo/demo.module.js';

const app = await NestFactory.create(DemoModule);
const config = app.get(ConfigService);
const port = Number(config.get<string>('PORT') ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  throw new Error(`PORT is "${config.get<string>('PORT')}"; expected a port number from 0 to 65535.`);
}
await app.listen(port, config.get<string>('HOST') ?? '127.0.0.1');
new Logger('Demo').log(`Listening on ${await app.getUrl()}`);
