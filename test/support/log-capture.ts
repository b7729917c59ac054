import type { LoggerService } from '@nestjs/common';

/** A Nest logger that keeps every line, for tests that check what was (and was not) logged. */
export class LogCapture implements LoggerService {
  readonly lines: string[] = [];

  log(message: unknown): void {
    this.lines.push(`LOG ${String(message)}`);
  }
  error(message: unknown): void {
    this.lines.push(`ERROR ${String(message)}`);
  }
  warn(message: unknown): void {
    this.lines.push(`WARN ${String(message)}`);
  }
  debug(): void {}
  verbose(): void {}

  matching(pattern: RegExp): string[] {
    return this.lines.filter((line) => pattern.test(line));
  }
}
