import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { applyNagSuppressions } from './nag.js';
import { WhatsAppGateway, type WhatsAppGatewayProps } from './whatsapp-gateway.js';

export interface WafleetStackProps extends StackProps {
  gateway: WhatsAppGatewayProps;
}

/** One deployment of the gateway, with the reviewed cdk-nag suppressions. */
export class WafleetStack extends Stack {
  readonly gateway: WhatsAppGateway;

  constructor(scope: Construct, id: string, props: WafleetStackProps) {
    super(scope, id, props);
    this.gateway = new WhatsAppGateway(this, 'Gateway', props.gateway);
    applyNagSuppressions(this.gateway);
  }
}
