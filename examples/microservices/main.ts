/**
 * A TCP microservice: callers put the token in the payload's `authorization` field, as in an HTTP header; a
 * refusal reaches them as `{ status: 'error', code, message }`. With Redis, use `Transport.REDIS` on both sides.
 */
import 'reflect-metadata';
import { Controller, Module, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import { ClientProxyFactory, MessagePattern, Transport } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { Claims, JwtAuthGuard, OptionalAuth, RequireClaims, Rs256AuthModule } from 'nestjs-rs256-auth';

@Controller()
@UseGuards(JwtAuthGuard)
class OrdersHandlers {
  @RequireClaims({ scopes: ['orders:read'] })
  @MessagePattern('orders.list')
  list(@Claims('sub') subject: string): string[] {
    return [`order of ${subject}`];
  }

  @OptionalAuth()
  @MessagePattern('hello')
  hello(@Claims('sub') subject: string | undefined): string {
    return `hello ${subject ?? 'stranger'}`;
  }
}

// Settings from the environment: JWT_PRIVATE_KEY_PATH (see `npx nestjs-rs256-auth keygen`).
@Module({ imports: [Rs256AuthModule.forRoot()], controllers: [OrdersHandlers] })
class AppModule {}

const tcp = { host: '127.0.0.1', port: Number(process.env.PORT ?? 3001) };
const service = await NestFactory.createMicroservice(AppModule, { transport: Transport.TCP, options: tcp, logger: ['error', 'warn'] });
await service.listen();
console.log(`TCP microservice on ${tcp.host}:${tcp.port}`);

if (process.env.DEMO === '1') {
  const client = ClientProxyFactory.create({ transport: Transport.TCP, options: tcp });
  const jwt = service.get(JwtService);
  const call = (pattern: string, token?: string): Promise<unknown> =>
    lastValueFrom(client.send(pattern, token ? { authorization: `Bearer ${token}` } : {})).then(
      (reply: unknown) => ({ reply }),
      (error: unknown) => ({ error }),
    );
  console.log(JSON.stringify(await call('orders.list', jwt.sign({ sub: 'ada', scope: 'orders:read' }))));
  console.log(JSON.stringify(await call('orders.list', jwt.sign({ sub: 'ada' }))));
  console.log(JSON.stringify(await call('orders.list')));
  console.log(JSON.stringify(await call('hello')));
  await client.close();
  await service.close();
}
