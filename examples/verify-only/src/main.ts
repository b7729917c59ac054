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
  // JWT_PUBLIC_KEY_PATH only: this service verifies tokens and cannot sign any.
  imports: [Rs256AuthModule.forRoot()],
  controllers: [OrdersController],
})
class AppModule {}

const app = await NestFactory.create(AppModule);
await app.listen(Number(process.env.PORT ?? 3001), '127.0.0.1');
new Logger('verify-only').log(`Listening on ${await app.getUrl()}`);
