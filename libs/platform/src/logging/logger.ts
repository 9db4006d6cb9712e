import winston from 'winston';

export type Logger = winston.Logger;

export interface LoggerOptions {
  level: string;
  /** JSON lines in production; readable, coloured lines in development. */
  json: boolean;
  service: string;
}

/** Creates the process logger. `silent` level turns logging off (used by tests). */
export function createLogger({ level, json, service }: LoggerOptions): Logger {
  const format = json
    ? winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: true }), winston.format.json())
    : winston.format.combine(
        winston.format.colorize(),
        winston.format.timestamp({ format: 'HH:mm:ss.SSS' }),
        winston.format.errors({ stack: true }),
        winston.format.printf(({ timestamp, level: lvl, message, service: svc, stack, ...meta }) => {
          const rest = Object.keys(meta).length > 0 ? ` ${JSON.stringify(meta)}` : '';
          return `${String(timestamp)} ${lvl} [${String(svc)}] ${String(message)}${rest}${stack ? `\n${String(stack)}` : ''}`;
        }),
      );
  return winston.createLogger({
    level: level === 'silent' ? 'error' : level,
    silent: level === 'silent',
    defaultMeta: { service },
    format,
    transports: [new winston.transports.Console()],
  });
}
