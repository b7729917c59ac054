import { Test } from '@nestjs/testing';
import type { LoggerService } from '@nestjs/common';
import { Rs256AuthError } from '../../src/index.js';
import { appModule, type AppScenario, type Wiring } from '../fixtures/app.js';

/**
 * Compiles an app module the way Nest does at start-up and returns the error it stops with; `logger` receives
 * whatever Nest logs meanwhile.
 */
export async function startupError(wiring: Wiring, config: Omit<AppScenario, 'wiring'>, logger?: LoggerService): Promise<Rs256AuthError> {
  const builder = Test.createTestingModule({ imports: [appModule({ wiring, ...config })] });
  if (logger) builder.setLogger(logger);
  const error = await builder.compile().then(
    () => {
      throw new Error('start-up succeeded but should have failed');
    },
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(Rs256AuthError);
  return error as Rs256AuthError;
}

/** An error with its stack and every cause below it, as one text: what a log of it could show. */
export function errorText(error: unknown): string {
  const parts: string[] = [];
  for (let current = error; current !== undefined && current !== null; current = (current as { cause?: unknown }).cause) {
    parts.push(String(current), String((current as Error).message), String((current as Error).stack));
  }
  return parts.join('\n');
}
