import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';

/** `npm start` as a child process, the way a user (or a terminal) runs it. */

export const root = join(import.meta.dirname, '..', '..');

export interface LocalProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface Started extends LocalProcess {
  base: string;
}

export interface LaunchOptions {
  dataDir: string;
  args?: string[];
  env?: Record<string, string>;
  /**
   * `node` runs `node --import tsx local/start.ts` (one process); `tsx` runs the tsx CLI as the
   * `start` script does, which relays signals to a child of its own.
   */
  entry?: 'node' | 'tsx';
  /** In a process group of its own, as a shell starts a foreground job, to signal it as a terminal does. */
  detached?: boolean;
}

export function launch(options: LaunchOptions): LocalProcess {
  const [command, prefix] =
    options.entry === 'tsx'
      ? [join(root, 'node_modules', '.bin', 'tsx'), []]
      : [process.execPath, ['--import', 'tsx']];
  const child = spawn(command, [...prefix, 'local/start.ts', ...(options.args ?? [])], {
    cwd: root,
    detached: options.detached ?? false,
    env: {
      ...process.env,
      WAFLEET_DATA_DIR: options.dataDir,
      PORT: '0',
      LOG_LEVEL: 'warn',
      ADMIN_API_KEY: '',
      AWS_ENDPOINT_URL_DYNAMODB: '',
      AWS_ENDPOINT_URL_SQS: '',
      AWS_ENDPOINT_URL_S3: '',
      RESOURCE_PREFIX: '',
      SHARD_COUNT: '',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const append = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => output, exited };
}

/** Launches and resolves once the banner (and `ready`) is printed; rejects if it exits first. */
export async function start(
  options: LaunchOptions & { ready?: RegExp },
  timeoutMs = 90_000,
): Promise<Started> {
  const running = launch(options);
  const ready = options.ready ?? /wafleet is running/;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`npm start did not come up:\n${running.output()}`)),
      timeoutMs,
    );
    const check = () => {
      const base = running.output().match(/wafleet is running: (http:\/\/\S+)/)?.[1];
      if (base && ready.test(running.output())) {
        clearTimeout(timer);
        resolve({ ...running, base });
      }
    };
    running.child.stdout?.on('data', check);
    running.child.stderr?.on('data', check);
    void running.exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited with ${code ?? signal}:\n${running.output()}`));
    });
  });
}

/** SIGTERM, as a service manager stops it; resolves with the exit code. */
export async function stop(started: LocalProcess): Promise<number | null> {
  started.child.kill('SIGTERM');
  return (await started.exited).code;
}

/** Pids of the DynamoDB Local JVMs serving the database under `dataDir`. */
export function dynamoJavaPids(dataDir: string): number[] {
  const table = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return table
    .split('\n')
    .filter((line) => line.includes('DynamoDBLocal.jar') && line.includes(dataDir))
    .filter((line) => !line.includes('supervisor.mjs'))
    .map((line) => Number.parseInt(line.trim(), 10));
}

/** Kills what a failed run may have left behind, so one failure does not leak JVMs into the next. */
export function killDynamoJava(dataDir: string): void {
  for (const pid of dynamoJavaPids(dataDir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}
