/**
 * The stack's aws provider configuration, as the custom steps use it: region, profile, static
 * keys and the chain of roles to assume (`aws:assumeRoles`), so that the steps act as the
 * stack's ordinary resources do (same account, same credentials, same region).
 *
 * A dynamic provider gets the stack config only through `configure`, which the engine's
 * dynamic-provider host calls once per provider text and process, before any other method
 * (pulumi/pulumi sdk/nodejs/cmd/dynamic-provider/index.ts, `getProvider`). `configureStackAws`
 * is that `configure`; it records the config in `STACK_AWS`, which `clientsFor` reads. One
 * holder object is captured by every method of a serialized provider (Pulumi's closure
 * serializer emits an object once, by identity), so what `configure` records, `create` and
 * `delete` see. Outside a host (unit tests) nothing is recorded: the SDK's default chain.
 */
import * as pulumi from "@pulumi/pulumi";

/** One entry of `aws:assumeRoles` (pulumi-aws v7; config object keys as the provider reads them). */
export interface StackAssumeRole {
    roleArn?: string;
    sessionName?: string;
    externalId?: string;
    /** "1h", "15m", "3600s" (the provider's duration syntax). */
    duration?: string;
    policy?: string;
    policyArns?: string[];
    sourceIdentity?: string;
    tags?: Record<string, string>;
    transitiveTagKeys?: string[];
}

export interface StackAws {
    region?: string;
    profile?: string;
    accessKey?: string;
    secretKey?: string;
    token?: string;
    /** Assumed in order, each with the previous one's credentials. */
    assumeRoles?: StackAssumeRole[];
}

/** Filled by `configureStackAws`; empty until then. */
export const STACK_AWS: { current: StackAws } = { current: {} };

/** The subset of the dynamic provider's Config this needs (`get("aws:region")`). */
export interface ConfigReader {
    get(key: string): string | undefined;
}

/** The stack config's aws keys; a malformed `aws:assumeRoles` is an error naming the key. */
export function stackAwsFrom(config: ConfigReader): StackAws {
    const text = (key: string) => config.get(`aws:${key}`) || undefined;
    return {
        region: text("region"),
        profile: text("profile"),
        accessKey: text("accessKey"),
        secretKey: text("secretKey"),
        token: text("token"),
        assumeRoles: assumeRolesFrom(text("assumeRoles")),
    };
}

/** Structured config reaches a provider as JSON text (what `pulumi.Config.getObject` parses). */
function assumeRolesFrom(value: string | undefined): StackAssumeRole[] | undefined {
    if (value === undefined) return undefined;
    let parsed: unknown;
    try {
        parsed = JSON.parse(value);
    } catch {
        throw new Error(
            `aws:assumeRoles: not JSON (${value.slice(0, 60)}); set it as a list: pulumi config set --path 'aws:assumeRoles[0].roleArn' <arn>`,
        );
    }
    const list = Array.isArray(parsed) ? parsed : [parsed];
    for (const [i, role] of list.entries()) {
        if (
            !role ||
            typeof role !== "object" ||
            typeof (role as StackAssumeRole).roleArn !== "string"
        ) {
            throw new Error(
                `aws:assumeRoles[${i}]: roleArn is missing; set it: pulumi config set --path 'aws:assumeRoles[${i}].roleArn' <arn>`,
            );
        }
    }
    return list as StackAssumeRole[];
}

/** A dynamic provider's `configure`: records the stack's aws configuration for `clientsFor`. */
export async function configureStackAws(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
    STACK_AWS.current = stackAwsFrom(req.config);
}

/** The provider's duration syntax ("1h30m", "900s") in seconds; undefined when absent. */
export function durationSeconds(text: string | undefined): number | undefined {
    if (!text) return undefined;
    const units: Record<string, number> = { h: 3600, m: 60, s: 1 };
    let total = 0;
    for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d+)?)(h|m|s)/g))
        total += Number(amount) * units[unit];
    return total ? Math.round(total) : undefined;
}
