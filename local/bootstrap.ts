import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startApiServer } from '../functions/api/server.js';
import { startDispatcherLoop } from '../functions/webhook-dispatcher/loop.js';
import { createAwsClients } from '../shared/aws/clients.js';
import type { Config, loadConfig as LoadConfig } from '../shared/config.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { createApiKeyStore } from '../shared/stores/api-keys.js';
import { createTenantStore } from '../shared/stores/tenants.js';
import { startSocketHost } from '../socket-host/host.js';
import { startSimulator } from '../test/simulator/index.js';
import { demoDataDir, openDataDir } from './data-dir.js';
import { runDemo } from './demo.js';
import { ensurePortFree, isAddressInUse, PortInUseError } from './port.js';
import { provision } from './provision.js';
import { startDynamoLocal, startFauxqsServer } from './servers.js';

export interface LocalStack {
  config: Config;
  apiUrl: string;
  stop(): Promise<void>;
}

const DEFAULT_TENANT = 'default';
const API_HOST = '127.0.0.1';

/**
 * Starts the local servers, provisions them, makes sure an admin key and a default tenant exist,
 * and runs the API, the socket host and the webhook dispatcher against them.
 */
export async function bootstrapLocal(options: {
  env: NodeJS.ProcessEnv;
  demo: boolean;
  log: Logger;
  loadConfig: typeof LoadConfig;
}): Promise<LocalStack> {
  const { log } = options;
  const given = Object.fromEntries(
    Object.entries(options.env).filter(([, v]) => v !== undefined && v !== ''),
  );
  // The local stack's defaults: local-mode rules, a few shards.
  const defaults = {
    WAFLEET_ENV: 'local',
    // The demo tells its story on the console; the gateway's info logs would drown it.
    ...(options.demo ? { LOG_LEVEL: 'warn' } : {}),
    SHARD_COUNT: '4',
    BUCKET_NAME: 'wafleet-local',
    AWS_REGION: 'us-east-1',
  };
  // A taken API port fails before anything starts: a second `npm start` must not open the first
  // one's database (nor a second demo wipe the first one's data directory).
  const command = options.demo ? 'npm run demo' : 'npm start';
  const { port } = options.loadConfig({ ...defaults, ...given });
  await ensurePortFree(port, API_HOST, command);
  // The simulator lives in memory, so a demo starts from a clean data directory of its own.
  const dataDir = options.demo ? openDataDir(demoDataDir(), { fresh: true }) : openDataDir();
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((error) => log.warn({ err: error }, 'stop failed'));
  };
  try {
    const [dynamo, fauxqs] = await Promise.all([
      startDynamoLocal({ dbPath: dataDir.dynamoPath }),
      startFauxqsServer(),
    ]);
    stops.push(dynamo.stop, fauxqs.stop);
    const admin = dataDir.adminKey(options.env.ADMIN_API_KEY || undefined);
    const simulator = options.demo ? await startSimulator({ seed: 'demo' }) : undefined;
    if (simulator) stops.push(simulator.stop);

    // The local stack's environment: the defaults, what was given, and the emulators.
    const env = {
      ...defaults,
      ...given,
      AWS_ACCESS_KEY_ID: options.env.AWS_ACCESS_KEY_ID ?? 'local',
      AWS_SECRET_ACCESS_KEY: options.env.AWS_SECRET_ACCESS_KEY ?? 'local',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_SQS: fauxqs.endpoint,
      AWS_ENDPOINT_URL_S3: fauxqs.endpoint,
      ADMIN_API_KEY: admin.key,
      ...(simulator
        ? {
            WA_WEB_SOCKET_URL: simulator.url,
            WA_SIMULATOR_ROOT_KEY: simulator.rootPublicKey.toString('base64'),
            WA_SIMULATOR_MEDIA_CA: simulator.mediaCa,
            // The demo's webhook receiver listens on 127.0.0.1.
            WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
          }
        : {}),
    };
    Object.assign(process.env, env);
    const config = options.loadConfig(env);
    const clients = createAwsClients(config);
    const raw = new DynamoDBClient({ region: config.region, endpoint: config.endpoints.dynamodb });
    await provision({
      dynamo: raw,
      sqs: clients.sqs,
      s3: clients.s3,
      prefix: config.resourcePrefix,
      bucketName: config.bucketName,
      shardCount: config.shardCount,
    });
    raw.destroy();

    const tenant = await ensureDefaultTenant(clients.dynamo, config, dataDir.root);
    const api = await startApiServer({
      config,
      hostname: API_HOST,
      log: createLogger({ service: 'api', level: config.logLevel }),
    }).catch((error: unknown) => {
      // Taken since the check above.
      throw isAddressInUse(error) ? new PortInUseError(port, command) : error;
    });
    stops.push(api.close);
    // One socket host owns every shard; the dispatcher polls the webhook queue as the Lambda would.
    const host = await startSocketHost({
      // The API serves /health locally; the container's own health port is for ECS.
      healthPort: options.env.HOST_HEALTH_PORT ? config.host.healthPort : null,
      config,
      clients,
      log: createLogger({ service: 'socket-host', level: config.logLevel }),
      commandWaitSeconds: 2,
    });
    stops.push(() => host.stop());
    const dispatcher = startDispatcherLoop({
      config,
      clients,
      logger: log,
      waitSeconds: 2,
      sweepIntervalMs: 5_000,
    });
    stops.push(() => dispatcher.stop());

    const base = `http://localhost:${api.port}/api/whatsapp`;
    const lines = [
      '',
      `wafleet is running: ${base}`,
      `  API docs:       ${base}/docs`,
      admin.generated
        ? `  Admin key:      ${admin.key}   (generated now, kept in ${dataDir.root}/admin-key)`
        : `  Admin key:      ${options.env.ADMIN_API_KEY ? 'from ADMIN_API_KEY' : 'in .wafleet/admin-key'}`,
      tenant.created
        ? `  Tenant "${DEFAULT_TENANT}" API key: ${tenant.apiKey}   (created now, kept in ${dataDir.root}/default-tenant.json)`
        : `  Tenant "${DEFAULT_TENANT}": its API key is in .wafleet/default-tenant.json`,
      '  Ctrl-C stops everything; data stays in .wafleet/.',
      '',
    ];
    console.log(lines.join('\n'));
    if (simulator) {
      const demo = await runDemo({
        simulator,
        config,
        clients,
        apiUrl: base,
        tenantId: DEFAULT_TENANT,
        apiKey: tenant.apiKey ?? '',
        log,
      });
      stops.push(demo.stop);
    }
    return { config, apiUrl: base, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function ensureDefaultTenant(
  dynamo: ReturnType<typeof createAwsClients>['dynamo'],
  config: Config,
  root: string,
): Promise<{ created: boolean; apiKey?: string }> {
  const tenants = createTenantStore({ dynamo, config });
  if (await tenants.find(DEFAULT_TENANT)) return { created: false };
  const tenant = await tenants.create({ tenantId: DEFAULT_TENANT, name: 'Default tenant' });
  const apiKey = await createApiKeyStore({ dynamo, config }).issue(DEFAULT_TENANT);
  writeFileSync(
    join(root, 'default-tenant.json'),
    `${JSON.stringify({ tenantId: DEFAULT_TENANT, apiKey, webhookSecret: tenant.webhookSecrets[0]?.secret }, null, 2)}\n`,
    { mode: 0o600 },
  );
  return { created: true, apiKey };
}
