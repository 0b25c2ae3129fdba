/**
 * SDK clients for the custom steps. Created per call, never at module scope: Pulumi serializes
 * dynamic providers by source text and cannot capture a live client ("native code function").
 */
import { EC2Client } from "@aws-sdk/client-ec2";
import { IAMClient } from "@aws-sdk/client-iam";
import { SSMClient } from "@aws-sdk/client-ssm";
import { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import { KMSClient } from "@aws-sdk/client-kms";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { durationSeconds, STACK_AWS, StackAssumeRole, StackAws } from "./stack-aws";
import { AwsAccess } from "./target-context";

export interface Clients {
    ec2: EC2Client;
    ssm: SSMClient;
    autoscaling: AutoScalingClient;
    iam: IAMClient;
    /** Only reads: the preflight's check of keyParameterKmsKeyId. */
    kms: KMSClient;
}

/**
 * Clients that act as the stack's aws provider does (lib/stack-aws.ts): its region unless the
 * access names one, its profile or static keys, then each of its `aws:assumeRoles` in order,
 * then `assumeRoleArn` on top.
 */
export async function clientsFor(
    access: AwsAccess,
    stack: StackAws = STACK_AWS.current,
): Promise<Clients> {
    const config = {
        ...(await identityFor(access, stack)),
        maxAttempts: 8, // throttling on a busy account must not fail a reset half-way
    };
    return {
        ec2: new EC2Client(config),
        ssm: new SSMClient(config),
        autoscaling: new AutoScalingClient(config),
        iam: new IAMClient(config),
        kms: new KMSClient(config),
    };
}

/** What an SDK client needs to act as the stack: region, and a profile or credentials. */
export interface ClientIdentity {
    region?: string;
    profile?: string;
    credentials?: Credentials;
}

export async function identityFor(access: AwsAccess, stack: StackAws): Promise<ClientIdentity> {
    const region = access.region || stack.region || undefined;
    let credentials = staticCredentials(stack);
    const roles: StackAssumeRole[] = [
        ...(stack.assumeRoles ?? []),
        ...(access.assumeRoleArn ? [{ roleArn: access.assumeRoleArn }] : []),
    ];
    for (const role of roles)
        credentials = await assumedCredentials(role, {
            region,
            profile: stack.profile,
            credentials,
        });
    // The profile names the credentials only when no keys were given or assumed.
    return { region, profile: credentials ? undefined : stack.profile, credentials };
}

type Credentials = {
    accessKeyId: string;
    secretAccessKey: string;
    sessionToken?: string;
    expiration?: Date;
};

function staticCredentials(stack: StackAws): Credentials | undefined {
    if (!stack.accessKey || !stack.secretKey) return undefined;
    return {
        accessKeyId: stack.accessKey,
        secretAccessKey: stack.secretKey,
        sessionToken: stack.token,
    };
}

async function assumedCredentials(
    role: StackAssumeRole,
    base: { region?: string; profile?: string; credentials?: Credentials },
): Promise<Credentials> {
    const sts = new STSClient({
        region: base.region,
        credentials: base.credentials,
        profile: base.credentials ? undefined : base.profile,
    });
    const { Credentials: c } = await sts.send(
        new AssumeRoleCommand({
            RoleArn: role.roleArn,
            RoleSessionName: role.sessionName || "ec2-reset-access",
            ExternalId: role.externalId,
            DurationSeconds: durationSeconds(role.duration),
            Policy: role.policy,
            PolicyArns: role.policyArns?.map((arn) => ({ arn })),
            SourceIdentity: role.sourceIdentity,
            Tags: role.tags
                ? Object.entries(role.tags).map(([Key, Value]) => ({ Key, Value }))
                : undefined,
            TransitiveTagKeys: role.transitiveTagKeys,
        }),
    );
    if (!c?.AccessKeyId || !c.SecretAccessKey) {
        throw new Error(
            `AssumeRole on ${role.roleArn} returned no credentials (aws:assumeRoles or assumeRoleArn)`,
        );
    }
    return {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
        expiration: c.Expiration,
    };
}
