import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { fileURLToPath } from 'node:url';
import { TerminusModule } from '@nestjs/terminus';
import { JwtAuthGuard, Rs256AuthModule } from 'nestjs-rs256-auth';
import { Rs256AuthHealthIndicator } from 'nestjs-rs256-auth/health';
import { AuthController } from './auth.controller.js';
import { DemoController } from './demo.controller.js';
import { ObservabilityController } from './observability.controller.js';
import { UserStore } from './user-store.js';

/** The repository's .env.example: the demo's defaults, so a fresh clone runs without a .env file. */
const ENV_DEFAULTS = fileURLToPath(new URL('../../../.env.example', import.meta.url));

@Module({
  imports: [
    // The first file that sets a variable wins: .env (in the working folder) over the defaults.
    ConfigModule.forRoot({ isGlobal: true, envFilePath: ['.env', ENV_DEFAULTS] }),
    Rs256AuthModule.forRoot(),
    TerminusModule,
  ],
  controllers: [AuthController, DemoController, ObservabilityController],
  providers: [UserStore, Rs256AuthHealthIndicator, { provide: APP_GUARD, useClass: JwtAuthGuard }],
})
export class DemoModule {}
