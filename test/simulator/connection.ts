import {
  type BinaryNode,
  Curve,
  decodeBinaryNode,
  encodeBinaryNode,
  NOISE_WA_HEADER,
  proto,
} from '@whiskeysockets/baileys';
import type { WebSocket } from 'ws';
import type { ServerIdentity } from './certificates.js';
import { encodeFrame, FrameReader } from './framing.js';
import type { LinkedDevice } from './model.js';
import { NoiseResponder } from './noise.js';

export type ConnectionState = 'handshake' | 'pairing' | 'open' | 'closed';

/** What a connection hands to the simulator once the transport is up; the hub decides the rest. */
export interface ConnectionHandlers {
  onClientPayload(conn: SimConnection, payload: proto.ClientPayload): void;
  onNode(conn: SimConnection, node: BinaryNode): Promise<void>;
  onClose(conn: SimConnection): void;
}

/**
 * One client WebSocket: Noise handshake, then encrypted binary nodes both ways. It holds no timers,
 * so a thousand idle connections cost only their sockets and buffers.
 */
export class SimConnection {
  state: ConnectionState = 'handshake';
  /** The linked device this connection logged in as (or was paired to). */
  device: LinkedDevice | undefined;
  /** The client's static Noise key, learned in the handshake; it identifies a device at login. */
  clientStaticKey: Buffer | undefined;
  /** When set, nothing is sent any more, not even ping answers: the client then times out with 408. */
  silent = false;
  readonly openedAt = Date.now();
  private readonly reader = new FrameReader();
  private readonly noise = new NoiseResponder();
  private readonly ephemeral = Curve.generateKeyPair();
  private step: 'hello' | 'finish' | 'transport' = 'hello';
  private inbound: Promise<void> = Promise.resolve();

  constructor(
    readonly id: number,
    private readonly ws: WebSocket,
    private readonly identity: ServerIdentity,
    private readonly handlers: ConnectionHandlers,
  ) {
    ws.on('message', (data: Buffer) => this.onData(data));
    ws.on('close', () => this.markClosed());
    ws.on('error', () => this.markClosed());
  }

  send(node: BinaryNode): void {
    if (this.silent || this.state === 'closed' || this.step !== 'transport') return;
    this.ws.send(encodeFrame(this.noise.encrypt(encodeBinaryNode(node))));
  }

  /** `<stream:error>`: Baileys maps the code (or a `conflict` child → 440) to its DisconnectReason. */
  sendStreamError(code: number): void {
    const content: BinaryNode[] | undefined =
      code === 440 ? [{ tag: 'conflict', attrs: { type: 'replaced' } }] : undefined;
    const attrs: Record<string, string> = code === 440 ? {} : { code: String(code) };
    this.send({ tag: 'stream:error', attrs, content });
  }

  /** Kills the TCP socket without a WebSocket close frame, like a network drop. */
  drop(): void {
    this.ws.terminate();
    this.markClosed();
  }

  close(): void {
    this.ws.close();
    this.markClosed();
  }

  private markClosed(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.handlers.onClose(this);
  }

  private onData(data: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.reader.push(data);
    } catch {
      this.drop();
      return;
    }
    for (const frame of frames) this.onFrame(frame);
  }

  private onFrame(frame: Buffer): void {
    try {
      if (this.step === 'hello') this.onClientHello(frame);
      else if (this.step === 'finish') this.onClientFinish(frame);
      else {
        // Decrypt in arrival order (the counter is the IV), decode and handle in that order too.
        const plain = this.noise.decrypt(frame);
        this.inbound = this.inbound
          .then(async () => this.handlers.onNode(this, await decodeBinaryNode(plain)))
          .catch(() => this.drop());
      }
    } catch {
      this.drop();
    }
  }

  private onClientHello(frame: Buffer): void {
    const hello = proto.HandshakeMessage.decode(frame).clientHello;
    if (!hello?.ephemeral) throw new Error('missing client ephemeral');
    const clientEphemeral = Buffer.from(hello.ephemeral);
    this.noise.authenticate(NOISE_WA_HEADER);
    this.noise.authenticate(clientEphemeral);
    this.noise.authenticate(this.ephemeral.public);
    this.noise.mixSharedSecret(this.ephemeral.private, clientEphemeral);
    const encStatic = this.noise.encryptHandshake(this.identity.staticKey.public);
    this.noise.mixSharedSecret(this.identity.staticKey.private, clientEphemeral);
    const encPayload = this.noise.encryptHandshake(this.identity.certChain);
    const serverHello = proto.HandshakeMessage.encode({
      serverHello: { ephemeral: this.ephemeral.public, static: encStatic, payload: encPayload },
    }).finish();
    this.step = 'finish';
    this.ws.send(encodeFrame(serverHello));
  }

  private onClientFinish(frame: Buffer): void {
    const finish = proto.HandshakeMessage.decode(frame).clientFinish;
    if (!finish?.static || !finish.payload) throw new Error('missing client finish');
    this.clientStaticKey = this.noise.decryptHandshake(finish.static);
    this.noise.mixSharedSecret(this.ephemeral.private, this.clientStaticKey);
    const payload = proto.ClientPayload.decode(this.noise.decryptHandshake(finish.payload));
    this.noise.finish();
    this.step = 'transport';
    this.handlers.onClientPayload(this, payload);
  }
}
