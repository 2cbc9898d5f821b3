/** Structured logs (pino). Ids go in fields (`agentId`, `frameworkId`, `taskId`), never only in text. */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(name: string, level = process.env['AGORA_LOG_LEVEL'] ?? 'info'): Logger {
  return pino({ name, level, base: { daemon: name } });
}

/** A logger that drops everything, for unit tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
