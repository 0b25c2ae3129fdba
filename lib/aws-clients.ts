/**
 * SDK clients for the custom steps. Created per call, never at module scope: Pulumi serializes
 * dynamic providers by source text and cannot capture a live client ("native code function").
 */
import { EC2Client } from "@aws-sdk/client-ec2";
import { SSMClient } from "@aws-sdk/client-ssm";
import { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { AwsAccess } from "./target-context";

export interface Clients {
    ec2: EC2Client;
    ssm: SSMClient;
    autoscaling: AutoScalingClient;
}

export async function clientsFor(access: AwsAccess): Promise<Clients> {
    const config = {
        region: access.region || undefined,
        credentials: access.assumeRoleArn ? await assumedCredentials(access) : undefined,
        maxAttempts: 8, // throttling on a busy account must not fail a reset half-way
    };
    return {
        ec2: new EC2Client(config),
        ssm: new SSMClient(config),
        autoscaling: new AutoScalingClient(config),
    };
}

async function assumedCredentials(access: AwsAccess) {
    const sts = new STSClient({ region: access.region || undefined });
    const { Credentials: c } = await sts.send(
        new AssumeRoleCommand({ RoleArn: access.assumeRoleArn, RoleSessionName: "ec2-reset-access" }),
    );
    if (!c?.AccessKeyId || !c.SecretAccessKey) {
        throw new Error(`assumeRoleArn: AssumeRole on ${access.assumeRoleArn} returned no credentials`);
    }
    return {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
        expiration: c.Expiration,
    };
}
