import 'reflect-metadata';
import { Controller, Get, Logger, Module, Post, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import { Claims, JwtAuthGuard, Rs256AuthModule, type JwtClaims } from 'nestjs-rs256-auth';

@Controller()
class TokenController {
  constructor(private readonly jwt: JwtService) {}

  // Stands in for a login: a real one checks credentials first (the repository's demo server shows one).
  @Post('token')
  async token(): Promise<{ access_token: string }> {
    return { access_token: await this.jwt.signAsync({ sub: 'demo', scope: 'orders:read' }) };
  }

  @UseGuards(JwtAuthGuard)
  @Get('me')
  me(@Claims() claims: JwtClaims): JwtClaims {
    return claims;
  }
}

@Module({
  // JWT_PRIVATE_KEY_PATH signs; its public half verifies and is published at /.well-known/jwks.json.
  imports: [Rs256AuthModule.forRoot({ publishing: { jwks: true } })],
  controllers: [TokenController],
})
class AppModule {}

const app = await NestFactory.create(AppModule);
await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
new Logger('basic-signing').log(`Listening on ${await app.getUrl()}`);
