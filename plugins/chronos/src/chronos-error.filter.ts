import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { createLogger, PandoError, type PandoErrorCode } from '@pando/common';

const STATUS: Record<PandoErrorCode, number> = {
  INPUT: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  NOT_SUPPORTED: 501,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

const log = createLogger('chronos-http');

/**
 * Errors of the Chronos API as JSON `{ message, details? }` with the status the error family
 * maps to: an invalid job is a 400 naming each field and problem, an unknown job a 404.
 */
@Catch()
export class ChronosErrorFilter implements ExceptionFilter {
  catch(error: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<{ headersSent?: boolean; status(code: number): { json(body: unknown): void } }>();
    if (response.headersSent) return;
    if (error instanceof PandoError) {
      const body = error.details.length > 0 ? { message: error.message, details: error.details } : { message: error.message };
      response.status(STATUS[error.code]).json(body);
      return;
    }
    if (error instanceof HttpException) {
      const payload = error.getResponse();
      const message = typeof payload === 'string' ? payload : ((payload as { message?: unknown }).message ?? error.message);
      response.status(error.getStatus()).json({ message: Array.isArray(message) ? message.join('; ') : String(message) });
      return;
    }
    log.error({ err: error instanceof Error ? error.stack : String(error) }, 'chronos API request failed');
    response.status(500).json({ message: error instanceof Error ? error.message : String(error) });
  }
}
