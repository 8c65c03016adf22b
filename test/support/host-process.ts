import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

/**
 * A socket host in a process of its own (`socket-host/main.ts`, as the container runs it), so a
 * test can kill it with SIGKILL: nothing it holds is handed back, as in a real crash.
 */
export interface HostProcess {
  hostId: string;
  child: ChildProcess;
  /** Everything it printed (pino JSON lines), for failure messages. */
  output(): string;
  /** SIGKILL; resolves once the process is gone. */
  kill(): Promise<void>;
}

const root = join(import.meta.dirname, '..', '..');

/** Starts `socket-host/main.ts` with the test environment plus `env`; resolves once it has started. */
export function spawnSocketHost(hostId: string, env: Record<string, string>): Promise<HostProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'socket-host/main.ts'], {
    cwd: root,
    env: { ...process.env, ...env, HOST_ID: hostId, HOST_HEALTH_PORT: '0', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const host: HostProcess = {
    hostId,
    child,
    output: () => output,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`socket host did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('"msg":"socket host started"')) {
        clearTimeout(timer);
        resolve(host);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`socket host exited before starting:\n${output}`));
    });
  });
}
