/**
 * The ways a command reaches a device, as the DeviceCommandService sees them (contract shared by
 * server/mqtt/ — embedded broker or external broker client — and the Socket.IO `/device`
 * namespace in server/realtime.ts). The service picks the first channel that `reaches` the
 * device; a channel never retries on its own (MQTT QoS 1 redelivery is the broker's, and the
 * device answers a repeated command id with the same ack without acting twice).
 */
import type { DeviceCommandAck, DeviceCommandChannel, DeviceCommandMessage } from '../../scenes/device-commands';

export interface CommandChannel {
  readonly name: DeviceCommandChannel;
  /** the device can be sent to now (embedded broker / socket: it holds a connection; external broker: the server's client is connected) */
  reaches(deviceId: string): boolean;
  /** hands the message to the transport (MQTT QoS 1 on ioc/v1/{deviceId}/commands, or Socket.IO event `command`); false when it could not */
  deliver(message: DeviceCommandMessage): Promise<boolean>;
}

/** Where a transport hands a device's acknowledgement, after it verified the device's identity (connection or token). */
export type CommandAckSink = (deviceId: string, ack: DeviceCommandAck) => void;
