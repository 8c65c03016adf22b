import { afterEach, describe, expect, it } from 'vitest';
import { startDispatcherLoop } from '../../../functions/webhook-dispatcher/loop.js';
import { createWebhookQueue } from '../../../functions/webhook-dispatcher/queue.js';
import { createAwsClients } from '../../../shared/aws/clients.js';
import { createLogger } from '../../../shared/logger.js';
import { createWebhookEventStore } from '../../../shared/stores/webhook-events.js';
import { eventually, testConfig } from '../../support/env.js';
import { isolatedResources } from '../../support/resources.js';

/**
 * The webhook dispatcher loop `npm start` and `npm run demo` run: its sweeps and long polls share
 * one stop signal for the life of the process, so none of them may leave a listener on it.
 */
const warnings: Error[] = [];
const onWarning = (warning: Error) => {
  if (warning.name === 'MaxListenersExceededWarning') warnings.push(warning);
};
afterEach(() => {
  process.off('warning', onWarning);
});

describe('webhook dispatcher loop', () => {
  it('sweeps and polls many times without piling abort listeners on its stop signal', async () => {
    const config = testConfig(await isolatedResources('loop'));
    const clients = createAwsClients(config);
    const events = createWebhookEventStore({ dynamo: clients.dynamo, config });
    const queue = createWebhookQueue({ sqs: clients.sqs, config });
    const counts = { sweeps: 0, polls: 0 };
    process.on('warning', onWarning);

    const loop = startDispatcherLoop({
      config,
      clients,
      logger: createLogger({ service: 'dispatcher-loop-test', level: 'silent' }),
      overrides: {
        events: {
          ...events,
          listDue: (...args) => {
            counts.sweeps++;
            return events.listDue(...args);
          },
        },
        queue: {
          ...queue,
          receive: (options) => {
            counts.polls++;
            return queue.receive(options);
          },
        },
      },
      waitSeconds: 0,
      sweepIntervalMs: 1,
    });
    // The demo sweeps every 5 s: eleven sweeps (under a minute) were enough for the warning.
    await eventually(() => (counts.sweeps >= 40 && counts.polls >= 20 ? true : undefined), {
      timeoutMs: 20_000,
      message: '40 sweeps and 20 polls',
    });
    await loop.stop();

    expect(warnings.map((w) => w.message)).toEqual([]);
  });
});
