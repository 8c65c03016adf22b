import { loadConfig } from '../shared/config.js';
import { createLogger } from '../shared/logger.js';
import { startSocketHost } from './host.js';

/** The Fargate task's entry point. ECS sends SIGTERM and waits `stopTimeout` before SIGKILL. */
const config = loadConfig();
const log = createLogger({ service: 'socket-host', level: config.logLevel });
const starting = startSocketHost({ config, log });

let exiting = false;
// Registered before start-up ends, so a SIGTERM while starting still releases what was taken.
const shutdown = async (signal: string) => {
  if (exiting) return;
  exiting = true;
  log.info({ signal }, 'shutting down');
  const deadline = setTimeout(() => process.exit(1), 90_000);
  deadline.unref();
  await (await starting).stop();
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
await starting;
