/**
 * `node supervisor.mjs <command> [args…]`: runs a local server (DynamoDB Local's JVM) for a parent
 * that started this script detached, in a process group of its own, so a terminal's Ctrl-C reaches
 * only the parent, which stops its own work first and this server last. The server stops when the
 * parent says so (SIGTERM) or when the parent is gone (its end of our stdin closes, even after a
 * SIGKILL), so no orphan JVM outlives `npm start` or a test run. Plain JavaScript: it runs without
 * tsx, as a child of any Node process.
 */
import { spawn } from 'node:child_process';

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error('usage: node supervisor.mjs <command> [args…]');
  process.exit(2);
}

const server = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  server.kill('SIGTERM');
  setTimeout(() => server.kill('SIGKILL'), 5_000).unref();
};

for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, stop);
process.stdin.on('end', stop).on('error', stop).resume();
server.on('error', (error) => {
  console.error(`${command}: ${error.message}`);
  process.exit(127);
});
// A server stopped by its signal exits like one: 128 + the signal's number.
server.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGKILL' ? 137 : 143)));
