import { handle } from 'hono/aws-lambda';
import { loadConfig } from '../../shared/config.js';
import { createLogger } from '../../shared/logger.js';
import { createApp } from './app.js';
import { buildApiDeps } from './deps.js';

// Built once per cold start; API Gateway HTTP API and REST API events both work with handle().
const config = loadConfig(process.env);
const log = createLogger({ service: 'api', level: config.logLevel });
const app = createApp(await buildApiDeps(config, log));

export const handler = handle(app);
