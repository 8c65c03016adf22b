/**
 * `npm start`: the whole gateway on one machine, no AWS account. DynamoDB Local (kept under
 * .wafleet/) and fauxqs on loopback, the API on PORT, the socket host owning every shard, and the
 * webhook dispatcher as a polling loop — the same modules that run on Lambda and Fargate.
 * `npm run demo` adds the WhatsApp simulator and a signature-checking webhook receiver.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../shared/config.js';
import { createLogger } from '../shared/logger.js';
import { bootstrapLocal } from './bootstrap.js';
import { PortInUseError } from './port.js';
import { JavaMissingError } from './servers.js';

const { values } = parseArgs({ options: { demo: { type: 'boolean', default: false } } });

const log = createLogger({
  service: 'local',
  level: process.env.LOG_LEVEL ?? (values.demo ? 'warn' : 'info'),
});

try {
  const stack = await bootstrapLocal({ env: process.env, demo: values.demo, log, loadConfig });
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
} catch (error) {
  // Problems a user can fix: one line saying how, no stack trace.
  if (error instanceof JavaMissingError || error instanceof PortInUseError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
