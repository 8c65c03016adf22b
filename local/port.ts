import { createServer } from 'node:net';

/** The API's port is taken, most often by another `npm start`: said in one line, with the way out. */
export class PortInUseError extends Error {
  override name = 'PortInUseError';
  constructor(
    readonly port: number,
    command: string,
  ) {
    super(
      `Port ${port} is already in use (another ${command} running?). Stop it, or choose another port: PORT=${port + 1} ${command}`,
    );
  }
}

export const isAddressInUse = (error: unknown): boolean =>
  (error as { code?: unknown } | undefined)?.code === 'EADDRINUSE';

/**
 * Fails with PortInUseError when `port` cannot be listened on, before anything else starts (a second
 * `npm start` must not open the first one's database). Port 0 (any free port) always passes.
 */
export async function ensurePortFree(port: number, host: string, command: string): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', (error) => reject(isAddressInUse(error) ? new PortInUseError(port, command) : error));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}
