/**
 * Shared pieces of the emulated AWS provider: the context a resource operation gets, SDK
 * clients (no explicit endpoint: AWS_ENDPOINT_URL points them at the emulator), Pulumi-style
 * autonames, tags, and "already gone is success".
 */
import { randomBytes } from "node:crypto";
import { EC2Client } from "@aws-sdk/client-ec2";
import { IAMClient } from "@aws-sdk/client-iam";
import { SSMClient } from "@aws-sdk/client-ssm";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { awsErrorCode } from "../lib/aws-errors";
import { sleep } from "../lib/sleep";
import { ClientIdentity, identityFor } from "../lib/aws-clients";
import { StackAws, stackAwsFrom } from "../lib/stack-aws";

export type Props = Record<string, unknown>;

/** What an emulated create/delete knows about the resource and the deployment. */
export interface EmulationContext {
    /** The resource's logical name (for autonames and awsx child names). */
    name: string;
    urn: string;
    region: string;
    /** From the resource option `customTimeouts` (create or delete), else the provider default. */
    timeoutSeconds?: number;
}

/** A create that got far enough to have an id: the engine keeps it in state (as the AWS provider does). */
export class PartialCreateError extends Error {
    constructor(
        message: string,
        readonly id: string,
        readonly properties: Props,
    ) {
        super(message);
        this.name = "PartialCreateError";
    }
}

// Throttling on a busy account must not fail a step; the Terraform-based provider retries too.
const CLIENT_CONFIG = { maxAttempts: 5 };

let stack: StackAws = {};
let stackIdentity: Promise<ClientIdentity> | undefined;
/** A malformed aws config: the provider's Configure fails, and with it every call it would make. */
let stackConfigError: Error | undefined;

/**
 * The aws provider acts with the stack's credentials: `aws:profile`, `aws:accessKey` /
 * `aws:secretKey` / `aws:token`, then each role of `aws:assumeRoles` in order (pulumi-aws v7
 * provider configuration, @pulumi/aws config/vars.d.ts). So do the emulated resources and
 * invokes: the same resolution as the custom steps' (lib/aws-clients.ts `identityFor`).
 * One deployment at a time per process (harness/deployment.ts): set for each.
 */
export function actAsStack(config: Record<string, string>): void {
    stackIdentity = undefined;
    stackConfigError = undefined;
    try {
        stack = stackAwsFrom({ get: (key) => config[key] });
    } catch (err) {
        stack = {};
        stackConfigError = err as Error;
    }
}

function clientConfig(region: string) {
    if (stackConfigError) throw stackConfigError;
    const ownCredentials = Boolean(
        stack.assumeRoles?.length || (stack.accessKey && stack.secretKey),
    );
    if (!ownCredentials) return { region, profile: stack.profile, ...CLIENT_CONFIG };
    const credentials = async () =>
        (await (stackIdentity ??= identityFor({ region }, stack))).credentials!;
    return { region, credentials, ...CLIENT_CONFIG };
}

export const clients = {
    ec2: (region: string) => new EC2Client(clientConfig(region)),
    iam: (region: string) => new IAMClient(clientConfig(region)),
    ssm: (region: string) => new SSMClient(clientConfig(region)),
    sts: (region: string) => new STSClient(clientConfig(region)),
};

/** Pulumi's autoname: the logical name, a dash and 7 random hex characters. */
export function autoname(name: string): string {
    return `${name}-${randomBytes(4).toString("hex").slice(0, 7)}`;
}

/** The physical name: `name` input, else `namePrefix` + random, else the autoname. */
export function physicalName(ctx: EmulationContext, inputs: Props): string {
    if (typeof inputs.name === "string" && inputs.name) return inputs.name;
    if (typeof inputs.namePrefix === "string" && inputs.namePrefix) {
        return inputs.namePrefix + randomBytes(13).toString("hex");
    }
    return autoname(ctx.name);
}

export function awsTags(tags: unknown): { Key: string; Value: string }[] {
    return Object.entries((tags ?? {}) as Record<string, string>).map(([Key, Value]) => ({
        Key,
        Value: String(Value),
    }));
}

export function tagMap(
    tags: { Key?: string; Value?: string }[] | undefined,
): Record<string, string> {
    return Object.fromEntries((tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));
}

/** Runs a delete call; the listed error codes (the thing is already gone) count as success. */
export async function goneIsFine(call: Promise<unknown>, ...codes: string[]): Promise<void> {
    try {
        await call;
    } catch (err) {
        if (!codes.includes(awsErrorCode(err))) throw err;
    }
}

/** Retries `action` while it fails with an error `retryable` accepts, until the deadline. */
export async function retryWhile<T>(
    retryable: (err: unknown) => boolean,
    seconds: number,
    action: () => Promise<T>,
): Promise<T> {
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
        try {
            return await action();
        } catch (err) {
            if (!retryable(err) || Date.now() >= deadline) throw err;
            await sleep(500);
        }
    }
}

const accounts = new Map<string, Promise<string>>();

/** The account id, once per region and endpoint (for ARNs the API does not return). */
export function accountId(region: string): Promise<string> {
    const key = `${process.env.AWS_ENDPOINT_URL ?? ""}|${region}`;
    let found = accounts.get(key);
    if (!found) {
        found = clients
            .sts(region)
            .send(new GetCallerIdentityCommand({}))
            .then((r) => r.Account ?? "");
        found.catch(() => accounts.delete(key));
        accounts.set(key, found);
    }
    return found;
}

/** An error test for `retryWhile`: the AWS error code is one of these. */
export function code(...codes: string[]): (err: unknown) => boolean {
    return (err) => codes.includes(awsErrorCode(err));
}

export function strings(value: unknown): string[] {
    return Array.isArray(value) ? value.map(String) : [];
}
