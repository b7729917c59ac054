import { Controller, Get, Req, Res } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Public } from 'nestjs-rs256-auth';
import { Rs256AuthHealthIndicator } from 'nestjs-rs256-auth/health';
import { prometheus } from './telemetry.js';

/** What an orchestrator and a Prometheus server ask the demo: is it ready, and what has it counted. */
@Public()
@Controller()
export class ObservabilityController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly auth: Rs256AuthHealthIndicator,
  ) {}

  /** Readiness: 200 while keys are loaded and fresh (and, with Redis sessions, the revocation list), else 503. */
  @Get('health/ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return this.health.check([() => this.auth.isHealthy()]);
  }

  /** The library's metrics (and any other instrument of the app) in Prometheus' text format. */
  @Get('metrics')
  metrics(@Req() request: IncomingMessage, @Res() response: ServerResponse): void {
    prometheus.getMetricsRequestHandler(request, response);
  }
}
