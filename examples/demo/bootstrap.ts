import { Logger, type Type } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { addRs256Auth } from 'nestjs-rs256-auth/swagger';

/**
 * Starts a demo application on HOST:PORT and logs where, once it listens. Swagger UI is served at /docs, its assets
 * from the installed swagger-ui-dist package (no CDN), with the routes' RS256 requirements documented.
 */
export async function bootstrap(module: Type<unknown>, name: string): Promise<void> {
  const app = await NestFactory.create(module);
  const document = SwaggerModule.createDocument(app, addRs256Auth(app, new DocumentBuilder().setTitle(name).setVersion('1')).build());
  SwaggerModule.setup('docs', app, document);
  const config = app.get(ConfigService);
  const port = Number(config.get<string>('PORT') ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT is "${config.get<string>('PORT')}"; expected a port number from 0 to 65535.`);
  }
  await app.listen(port, config.get<string>('HOST') ?? '127.0.0.1');
  new Logger(name).log(`Listening on ${await app.getUrl()}`);
}
