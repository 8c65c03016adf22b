import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { routeLibsignalConsole } from '../../socket-host/process/quiet-libsignal.js';

describe('libsignal console lines', () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  // What the console would have printed, captured before the routing is installed over it.
  const saved = { log: console.log, info: console.info, warn: console.warn, error: console.error };
  const printed = { log: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
  Object.assign(console, printed);
  routeLibsignalConsole(pino({ level: 'debug' }, sink));
  afterAll(() => Object.assign(console, saved));

  it('go to the log as text only, never the session record with its private keys', () => {
    const secret = Buffer.from('very-private-ratchet-key').toString('hex');
    console.info('Closing session:', { currentRatchet: { privKey: secret } });
    console.warn('Closing open session in favor of incoming prekey bundle');
    const output = lines.join('');
    expect(output).toContain('Closing session:');
    expect(output).toContain('Closing open session in favor');
    expect(output).not.toContain(secret);
    expect(printed.info).not.toHaveBeenCalled();
    expect(printed.warn).not.toHaveBeenCalled();
  });

  it('leave every other console call alone', () => {
    console.log('an ordinary line', 42);
    expect(printed.log).toHaveBeenCalledWith('an ordinary line', 42);
    expect(lines.join('')).not.toContain('an ordinary line');
  });
});
