import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { createLogger, describeError, PandoError } from '@pando/common';
import { MalformedJsonError, MarathonValidationError } from '../marathon-validation.error';
import { AppLockedError } from './marathon-http.errors';
import { UnsupportedMediaTypeError, type HttpRequest, type HttpResponse } from './http-request';

const STATUS: Record<string, number> = { INPUT: 400, NOT_FOUND: 404, CONFLICT: 409, NOT_SUPPORTED: 422, UNAVAILABLE: 503, INTERNAL: 500 };

/**
 * Marathon's error responses: `{message}` (plus `details` for 422 and 400, `deployments` for
 * 409 locks). Also turns the body parser's syntax errors (the host's Nest app parses JSON
 * before our controllers run) into Marathon's 400 "Invalid JSON".
 */
@Catch()
export class MarathonExceptionFilter implements ExceptionFilter {
  private readonly log = createLogger('marathon-http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<HttpResponse>();
    const req = host.switchToHttp().getRequest<HttpRequest>();
    const [status, body] = this.map(exception);
    if (status >= 500) this.log.error({ method: req.method, url: req.originalUrl, err: describeError(exception) }, `${req.method} ${req.originalUrl} failed: ${describeError(exception)}`);
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(status).json(body);
  }

  private map(exception: unknown): [number, Record<string, unknown>] {
    if (exception instanceof MarathonValidationError || exception instanceof MalformedJsonError) return [exception.httpStatus, exception.toMarathonJson() as unknown as Record<string, unknown>];
    if (exception instanceof AppLockedError) return [409, exception.toMarathonJson()];
    if (exception instanceof UnsupportedMediaTypeError) return [415, { message: exception.message }];
    if (exception instanceof PandoError) {
      const body: Record<string, unknown> = { message: exception.message };
      if (exception.code === 'INPUT' && exception.details.length > 0) body.details = [{ path: '/', errors: exception.details }];
      return [STATUS[exception.code] ?? 500, body];
    }
    if (exception instanceof HttpException) {
      const cause = (exception as { cause?: unknown }).cause;
      if (cause instanceof SyntaxError && exception.getStatus() === 400) return [400, new MalformedJsonError(cause.message).toMarathonJson() as unknown as Record<string, unknown>];
      return [exception.getStatus(), { message: exception.message }];
    }
    return [500, { message: `internal error: ${describeError(exception)}` }];
  }
}
