import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createAwsClients } from '../../shared/aws/clients.js';
import { loadConfig } from '../../shared/config.js';
import { createLogger } from '../../shared/logger.js';
import { createMetrics } from '../../shared/metrics.js';
import { buildDispatcherDeps } from './deps.js';
import { type DispatcherDeps, dispatchWebhook, sweepParked } from './dispatcher.js';

/** A message whose visibility was set for a later retry: reported failed so SQS keeps it. */
export class RetryLaterError extends Error {
  override name = 'RetryLaterError';
}

/** The SQS adapter: each record through the core; only records to retry later are reported as failures. */
export function createHandler(deps: DispatcherDeps) {
  const processor = new BatchProcessor(EventType.SQS);
  const record = async (sqsRecord: SQSRecord) => {
    const result = await dispatchWebhook(deps, {
      messageId: sqsRecord.messageId,
      receiptHandle: sqsRecord.receiptHandle,
      body: sqsRecord.body,
    });
    if (!result.ack) throw new RetryLaterError(`retry of ${sqsRecord.messageId} scheduled`);
  };
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    try {
      return (await processPartialResponse(event, record, processor)) as SQSBatchResponse;
    } finally {
      // One EMF document per invocation: Lambda may freeze before a timer would flush.
      deps.metrics?.flush();
    }
  };
}

let deps: DispatcherDeps | undefined;
const defaultDeps = () => {
  if (!deps) {
    const config = loadConfig(process.env);
    deps = buildDispatcherDeps({
      config,
      clients: createAwsClients(config),
      log: createLogger({ service: 'webhook-dispatcher', level: config.logLevel }),
    });
    deps.metrics = createMetrics({
      service: 'webhook-dispatcher',
      host: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'local',
    });
  }
  return deps;
};

let sqsHandler: ((event: SQSEvent) => Promise<SQSBatchResponse>) | undefined;

/** Lambda entry for the webhook queue (event source mapping with ReportBatchItemFailures). */
export const handler = (event: SQSEvent): Promise<SQSBatchResponse> => {
  sqsHandler ??= createHandler(defaultDeps());
  return sqsHandler(event);
};

/** Lambda entry for a schedule (every minute): re-queues parked retries that are due. */
export const sweepHandler = async (): Promise<{ queued: number }> => ({
  queued: await sweepParked(defaultDeps()),
});
