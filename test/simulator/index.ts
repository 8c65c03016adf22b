/**
 * The WhatsApp simulator: a local server the real Baileys client connects to through
 * `waWebSocketUrl`, playing WhatsApp's server and the simulated accounts' phones.
 * See /work/shared/whatsapp-simulator.md for the protocol notes it follows.
 */

export type { FaultCode } from './faults.js';
export type { HubEvents as SimulatorEvents } from './hub.js';
export type { LinkedDeviceCreds, LinkedDeviceOptions } from './linked-device.js';
export type { LinkedDevice } from './model.js';
export type { Phone, PhoneOptions, ReceivedMessage } from './phone.js';
export type { ConnectionInfo, ConnectionTarget, Simulator, SimulatorOptions } from './server.js';
export { startSimulator } from './server.js';
export { waitUntil } from './wait.js';
