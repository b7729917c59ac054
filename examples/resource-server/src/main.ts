import 'reflect-metadata';
import { Controller, Get, Logger, Module, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Claims, JwtAuthGuard, RequireClaims, Rs256AuthModule } from 'nestjs-rs256-auth';

@Controller()
@UseGuards(JwtAuthGuard)
class OrdersController {
  @RequireClaims({ scopes: ['orders:read'] })
  @Get('orders')
  orders(@Claims('sub') userId: string): { userId: string; orders: string[] } {
    return { userId, orders: [] };
  }
}

@Module({
  // JWT_JWKS_URI and JWT_AUDIENCE: the keys come from the issuer's JWK Set, fetched at start-up and kept current,
  // and only tokens for this API (its audience) are accepted.
  imports: [Rs256AuthModule.forRoot()],
  controllers: [OrdersController],
})
class AppModule {}

const app = await NestFactory.create(AppModule);
await app.listen(Number(process.env.PORT ?? 3002), '127.0.0.1');
new Logger('resource-server').log(`Listening on ${await app.getUrl()}`);
