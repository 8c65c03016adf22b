import { OpenAPIHono } from '@hono/zod-openapi';
import { Scalar } from '@scalar/hono-api-reference';
import { NotFoundError, standardize } from '../../shared/errors.js';
import type { ApiDeps } from './deps.js';
import type { AppEnv } from './env.js';
import { authenticate } from './middleware/auth.js';
import { jsonBody } from './middleware/body.js';
import { errorResponse } from './middleware/errors.js';
import { rateLimit } from './middleware/rate-limit.js';
import { requestContext } from './middleware/request-context.js';
import { diagnoseRoutes, healthRoutes } from './routes/health.js';
import { messageRoutes } from './routes/messages.js';
import { sessionRoutes } from './routes/sessions.js';
import { tenantRoutes } from './routes/tenants.js';
import { webhookRoutes } from './routes/webhooks.js';

export const BASE_PATH = '/api/whatsapp';

/** The whole HTTP API as one Hono app: the same object runs on Lambda and on the local server. */
export function createApp(deps: ApiDeps) {
  const app = new OpenAPIHono<AppEnv>({
    // Schema failures become VALIDATION_ERROR with the failing fields.
    defaultHook: (result) => {
      if (!result.success) throw standardize(result.error);
    },
  }).basePath(BASE_PATH);

  app.use('*', requestContext(deps.log));
  app.use('*', ...jsonBody(deps.config.maxBodyBytes));

  // Public: the document, its docs page, and liveness (routes run in registration order,
  // so these answer before authentication).
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'A tenant API key (wfk_…) or the admin key.',
  });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'wafleet WhatsApp gateway',
      version: '1.0.0',
      description:
        'Multi-tenant WhatsApp gateway. Every answer is `{ success, data }` or `{ success: false, error: { code, message, details, isRetryable, retryAfter } }`.',
    },
  });
  app.get('/docs', Scalar({ url: `${BASE_PATH}/openapi.json`, pageTitle: 'wafleet API' }));
  app.route('/', healthRoutes(deps));

  app.use('*', authenticate(deps));
  app.use('*', rateLimit(deps));
  app.route('/', messageRoutes(deps));
  app.route('/', sessionRoutes(deps));
  app.route('/', tenantRoutes(deps));
  app.route('/', diagnoseRoutes(deps));
  // Further route modules (webhook deliveries and replay) mount here.
  app.route('/', webhookRoutes(deps));

  app.notFound(() => {
    throw new NotFoundError({ message: 'No such route' });
  });
  app.onError(errorResponse);
  return app;
}

export type App = ReturnType<typeof createApp>;
