import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { expect } from 'vitest';
import { createApp } from '../../functions/api/app.js';
import { type ApiDeps, buildApiDeps } from '../../functions/api/deps.js';
import { type ApiServer, startApiServer } from '../../functions/api/server.js';
import type { Config } from '../../shared/config.js';
import { createLogger } from '../../shared/logger.js';
import { testConfig, uniqueTenantId } from './env.js';

export interface ApiResponse {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON
  body: any;
}

/**
 * The OpenAPI document of the app, compiled once: every response a test receives is checked
 * against the operation and status it documents, so the document cannot drift from behaviour.
 */
let compiled: { ajv: Ajv2020; doc: { paths: Record<string, Record<string, unknown>> } } | undefined;

async function openApi(deps: ApiDeps) {
  if (!compiled) {
    const res = await createApp(deps).request('/api/whatsapp/openapi.json');
    const doc = (await res.json()) as { paths: Record<string, Record<string, unknown>> };
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    ajv.addSchema(doc as object, 'doc');
    compiled = { ajv, doc };
  }
  return compiled;
}

const pointer = (...parts: string[]) =>
  parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

export async function expectDocumented(deps: ApiDeps, method: string, path: string, res: ApiResponse) {
  const { ajv, doc } = await openApi(deps);
  const pathname = new URL(path, 'http://x').pathname;
  const template = Object.keys(doc.paths).find((t) =>
    new RegExp(`^${t.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(pathname),
  );
  if (!template) return; // unknown routes answer 404 in the envelope; checked by the tests themselves
  const ref = `doc#/${pointer('paths', template, method.toLowerCase(), 'responses', String(res.status), 'content', 'application/json', 'schema')}`;
  const validate = ajv.getSchema(ref);
  expect(validate, `${method} ${template} does not document status ${res.status}`).toBeDefined();
  const valid = validate!(res.body);
  expect(valid, `${method} ${template} ${res.status}: ${JSON.stringify(validate!.errors)}`).toBe(true);
}

export class ApiClient {
  constructor(
    readonly server: TestApi,
    readonly key?: string,
  ) {}

  withKey(key: string | undefined): ApiClient {
    return new ApiClient(this.server, key);
  }

  async request(
    method: string,
    path: string,
    options: { body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.key) headers.authorization = `Bearer ${this.key}`;
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const url = `${this.server.url}/api/whatsapp${path}`;
    const res = await fetch(url, { method, headers, body });
    const text = await res.text();
    const parsed: ApiResponse = {
      status: res.status,
      headers: res.headers,
      body: text ? JSON.parse(text) : undefined,
    };
    await expectDocumented(this.server.deps, method, `/api/whatsapp${path}`, parsed);
    return parsed;
  }

  get = (path: string, headers?: Record<string, string>) => this.request('GET', path, { headers });
  post = (path: string, body?: unknown, headers?: Record<string, string>) =>
    this.request('POST', path, { body, headers });
  patch = (path: string, body?: unknown) => this.request('PATCH', path, { body });
  delete = (path: string) => this.request('DELETE', path);
}

export interface TestApi {
  url: string;
  deps: ApiDeps;
  config: Config;
  admin: ApiClient;
  anonymous: ApiClient;
  /** Creates a tenant through the API and returns a client holding its key. */
  createTenant(input?: {
    tenantId?: string;
    webhookUrl?: string;
    rateLimit?: { maxRequests: number; windowMs: number };
  }): Promise<{
    tenantId: string;
    client: ApiClient;
    apiKey: string;
    webhookSecret: string;
  }>;
  close(): Promise<void>;
}

/** The real node server on a random port, on DynamoDB Local and fauxqs from the global setup. */
export async function startTestApi(overrides: Record<string, string> = {}): Promise<TestApi> {
  const config = testConfig({ PORT: '0', PAIRING_CODE_WAIT_MS: '3000', ...overrides });
  const log = createLogger({ service: 'api-test', level: config.logLevel });
  const deps = await buildApiDeps(config, log);
  const server: ApiServer = await startApiServer({ config, log, deps });
  const api: TestApi = {
    url: server.url,
    deps,
    config,
    admin: undefined as unknown as ApiClient,
    anonymous: undefined as unknown as ApiClient,
    async createTenant(input = {}) {
      const tenantId = input.tenantId ?? uniqueTenantId();
      const res = await api.admin.post('/tenants', { tenantId, name: `Tenant ${tenantId}`, ...input });
      expect(res.status).toBe(201);
      return {
        tenantId,
        apiKey: res.body.data.apiKey,
        webhookSecret: res.body.data.webhookSecret,
        client: api.anonymous.withKey(res.body.data.apiKey),
      };
    },
    close: () => server.close(),
  };
  api.anonymous = new ApiClient(api);
  api.admin = api.anonymous.withKey(config.adminApiKey);
  return api;
}
