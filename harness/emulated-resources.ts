/**
 * The ordinary (non-dynamic) resources the harness can deploy: type token → what the AWS (or
 * awsx) provider would do with the SDK, taking the @pulumi/aws input names (camelCase) and
 * returning outputs as the provider would: the inputs, the id and the computed fields.
 * Deletes treat "already gone" as success. Anything not listed fails the deployment with
 * "not emulated: <type>", which names what to add here.
 */
import { randomUUID } from "node:crypto";
import {
    AuthorizeSecurityGroupEgressCommand,
    DescribeSecurityGroupsCommand,
    AuthorizeSecurityGroupIngressCommand,
    CreateSecurityGroupCommand,
    DeleteSecurityGroupCommand,
    IpPermission,
    RevokeSecurityGroupEgressCommand,
} from "@aws-sdk/client-ec2";
import {
    AddRoleToInstanceProfileCommand,
    AttachRolePolicyCommand,
    CreateInstanceProfileCommand,
    CreateRoleCommand,
    DeleteInstanceProfileCommand,
    DeleteRoleCommand,
    DeleteRolePolicyCommand,
    DetachRolePolicyCommand,
    GetInstanceProfileCommand,
    GetRoleCommand,
    GetRolePolicyCommand,
    ListAttachedRolePoliciesCommand,
    ListInstanceProfilesForRoleCommand,
    PutRolePolicyCommand,
    RemoveRoleFromInstanceProfileCommand,
} from "@aws-sdk/client-iam";
import {
    CreateDocumentCommand,
    DeleteDocumentCommand,
    DescribeDocumentCommand,
    DocumentFormat,
    DocumentType,
} from "@aws-sdk/client-ssm";
import {
    accountId,
    awsTags,
    clients,
    code,
    EmulationContext,
    goneIsFine,
    physicalName,
    Props,
    retryWhile,
    strings,
} from "./emulated-aws";
import { createInstance, deleteInstance, readInstance } from "./emulated-instance";
import { NETWORK_RESOURCES } from "./emulated-network";
import { createVpc, deleteVpc, readVpc } from "./emulated-vpc";

export { EmulationContext, PartialCreateError } from "./emulated-aws";

export interface EmulatedResource {
    create(ctx: EmulationContext, inputs: Props): Promise<{ id: string; outputs: Props }>;
    /** Gets the id and the outputs in state, and the inputs that created them. */
    delete(ctx: EmulationContext, id: string, outputs: Props, inputs: Props): Promise<void>;
    /**
     * `pulumi refresh`: the provider's Read. The outputs as AWS shows them now, or undefined
     * when the resource is gone (the engine then drops it from state).
     */
    read(
        ctx: EmulationContext,
        id: string,
        outputs: Props,
        inputs: Props,
    ): Promise<Props | undefined>;
    /**
     * Attributes the provider's Diff takes from the (refreshed) state rather than from the
     * last inputs, and which force a replacement when the program's input differs: the
     * Terraform-based provider diffs the config against the state it read.
     */
    readBack?: string[];
}

export const EMULATED_RESOURCES: Record<string, EmulatedResource> = {
    "awsx:ec2:Vpc": { create: createVpc, delete: (ctx, id) => deleteVpc(ctx, id), read: readVpc },
    ...NETWORK_RESOURCES,
    "aws:ec2/securityGroup:SecurityGroup": {
        create: createSecurityGroup,
        delete: deleteSecurityGroup,
        read: readSecurityGroup,
    },
    "aws:iam/role:Role": { create: createRole, delete: deleteRole, read: readRole },
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": {
        create: attachRolePolicy,
        delete: detachRolePolicy,
        read: readAttachment,
    },
    "aws:iam/rolePolicy:RolePolicy": {
        create: putRolePolicy,
        delete: deleteRolePolicy,
        read: readRolePolicy,
    },
    "aws:iam/instanceProfile:InstanceProfile": {
        create: createInstanceProfile,
        delete: deleteInstanceProfile,
        read: readInstanceProfile,
    },
    "aws:ssm/document:Document": {
        create: createDocument,
        delete: deleteDocument,
        read: readDocument,
    },
    // associatePublicIpAddress is read from the primary network interface's public IP, and
    // forces replacement: a stopped instance reads false (hashicorp/terraform-provider-aws#33775).
    "aws:ec2/instance:Instance": {
        create: createInstance,
        delete: (ctx, id) => deleteInstance(ctx, id),
        read: readInstance,
        readBack: ["associatePublicIpAddress"],
    },
};

/** Explicit provider resources (`new aws.Provider(...)`) manage nothing in AWS. */
export const PROVIDER_RESOURCE: EmulatedResource = {
    create: async (_ctx, inputs) => ({ id: randomUUID(), outputs: { ...inputs } }),
    delete: async () => undefined,
    read: async (_ctx, _id, outputs) => outputs,
};

/** A read that only asks whether the resource still exists: the stored outputs, or undefined. */
async function stillThere(
    lookup: Promise<unknown>,
    outputs: Props,
    ...goneCodes: string[]
): Promise<Props | undefined> {
    try {
        await lookup;
        return outputs;
    } catch (err) {
        if (code(...goneCodes)(err)) return undefined;
        throw err;
    }
}

function readSecurityGroup(ctx: EmulationContext, id: string, outputs: Props) {
    return stillThere(
        clients.ec2(ctx.region).send(new DescribeSecurityGroupsCommand({ GroupIds: [id] })),
        outputs,
        "InvalidGroup.NotFound",
        "InvalidGroupId.NotFound",
    );
}

function readRole(ctx: EmulationContext, id: string, outputs: Props) {
    return stillThere(
        clients.iam(ctx.region).send(new GetRoleCommand({ RoleName: id })),
        outputs,
        "NoSuchEntity",
    );
}

async function readAttachment(ctx: EmulationContext, _id: string, outputs: Props) {
    const listed = clients
        .iam(ctx.region)
        .send(new ListAttachedRolePoliciesCommand({ RoleName: String(outputs.role) }));
    const found = await stillThere(listed, outputs, "NoSuchEntity");
    if (!found) return undefined;
    const attached = (await listed).AttachedPolicies ?? [];
    return attached.some((p) => p.PolicyArn === outputs.policyArn) ? outputs : undefined;
}

function readRolePolicy(ctx: EmulationContext, _id: string, outputs: Props) {
    const read = clients.iam(ctx.region).send(
        new GetRolePolicyCommand({
            RoleName: String(outputs.role),
            PolicyName: String(outputs.name),
        }),
    );
    return stillThere(read, outputs, "NoSuchEntity");
}

function readInstanceProfile(ctx: EmulationContext, id: string, outputs: Props) {
    return stillThere(
        clients.iam(ctx.region).send(new GetInstanceProfileCommand({ InstanceProfileName: id })),
        outputs,
        "NoSuchEntity",
    );
}

function readDocument(ctx: EmulationContext, id: string, outputs: Props) {
    return stillThere(
        clients.ssm(ctx.region).send(new DescribeDocumentCommand({ Name: id })),
        outputs,
        "InvalidDocument",
    );
}

export function emulatedResource(type: string): EmulatedResource {
    if (type.startsWith("pulumi:providers:")) return PROVIDER_RESOURCE;
    const found = EMULATED_RESOURCES[type];
    if (!found) throw new Error(`not emulated: ${type} (add it to harness/emulated-resources.ts)`);
    return found;
}

// --- aws:ec2/securityGroup:SecurityGroup ----------------------------------------------------

interface RuleInput {
    protocol: string;
    fromPort: number;
    toPort: number;
    cidrBlocks?: string[];
    ipv6CidrBlocks?: string[];
    prefixListIds?: string[];
    securityGroups?: string[];
    self?: boolean;
    description?: string;
}

async function createSecurityGroup(ctx: EmulationContext, inputs: Props) {
    const ec2 = clients.ec2(ctx.region);
    const name = physicalName(ctx, inputs);
    const description = (inputs.description as string | undefined) ?? "Managed by Pulumi";
    const tags = awsTags(inputs.tags);
    const created = await ec2.send(
        new CreateSecurityGroupCommand({
            GroupName: name,
            Description: description,
            VpcId: inputs.vpcId as string | undefined,
            TagSpecifications: tags.length
                ? [{ ResourceType: "security-group", Tags: tags }]
                : undefined,
        }),
    );
    const id = created.GroupId!;
    const ingress = (inputs.ingress as RuleInput[] | undefined) ?? [];
    const egress = (inputs.egress as RuleInput[] | undefined) ?? [];
    // As the provider does: the default allow-all egress goes; only the declared rules stay.
    await ec2.send(
        new RevokeSecurityGroupEgressCommand({
            GroupId: id,
            IpPermissions: [{ IpProtocol: "-1", IpRanges: [{ CidrIp: "0.0.0.0/0" }] }],
        }),
    );
    if (ingress.length)
        await ec2.send(
            new AuthorizeSecurityGroupIngressCommand({
                GroupId: id,
                IpPermissions: ingress.map((r) => permission(r, id)),
            }),
        );
    if (egress.length)
        await ec2.send(
            new AuthorizeSecurityGroupEgressCommand({
                GroupId: id,
                IpPermissions: egress.map((r) => permission(r, id)),
            }),
        );
    const account = await accountId(ctx.region);
    return {
        id,
        outputs: {
            ...inputs,
            id,
            name,
            description,
            arn: `arn:aws:ec2:${ctx.region}:${account}:security-group/${id}`,
            ownerId: account,
            ingress: ingress.map(normalizedRule),
            egress: egress.map(normalizedRule),
            tags: inputs.tags ?? {},
            tagsAll: inputs.tags ?? {},
            revokeRulesOnDelete: inputs.revokeRulesOnDelete ?? false,
        },
    };
}

function permission(rule: RuleInput, selfId: string): IpPermission {
    const groups = [...strings(rule.securityGroups), ...(rule.self ? [selfId] : [])];
    return {
        IpProtocol: String(rule.protocol),
        FromPort: rule.fromPort,
        ToPort: rule.toPort,
        IpRanges: strings(rule.cidrBlocks).map((CidrIp) => ({
            CidrIp,
            Description: rule.description,
        })),
        Ipv6Ranges: strings(rule.ipv6CidrBlocks).map((CidrIpv6) => ({
            CidrIpv6,
            Description: rule.description,
        })),
        PrefixListIds: strings(rule.prefixListIds).map((PrefixListId) => ({ PrefixListId })),
        UserIdGroupPairs: groups.map((GroupId) => ({ GroupId })),
    };
}

function normalizedRule(rule: RuleInput): Props {
    return {
        cidrBlocks: [],
        ipv6CidrBlocks: [],
        prefixListIds: [],
        securityGroups: [],
        self: false,
        description: "",
        ...rule,
    };
}

async function deleteSecurityGroup(ctx: EmulationContext, id: string) {
    const ec2 = clients.ec2(ctx.region);
    // An instance being terminated still holds its group: the provider retries (15m by default).
    await retryWhile(code("DependencyViolation"), ctx.timeoutSeconds ?? 900, () =>
        goneIsFine(
            ec2.send(new DeleteSecurityGroupCommand({ GroupId: id })),
            "InvalidGroup.NotFound",
        ),
    );
}

// --- IAM ------------------------------------------------------------------------------------

async function createRole(ctx: EmulationContext, inputs: Props) {
    const name = physicalName(ctx, inputs);
    const created = await clients.iam(ctx.region).send(
        new CreateRoleCommand({
            RoleName: name,
            AssumeRolePolicyDocument: String(inputs.assumeRolePolicy ?? ""),
            Description: inputs.description as string | undefined,
            Path: (inputs.path as string | undefined) ?? "/",
            MaxSessionDuration: inputs.maxSessionDuration as number | undefined,
            PermissionsBoundary: inputs.permissionsBoundary as string | undefined,
            Tags: awsTags(inputs.tags),
        }),
    );
    const role = created.Role!;
    return {
        id: name,
        outputs: {
            ...inputs,
            id: name,
            name,
            arn: role.Arn,
            uniqueId: role.RoleId,
            createDate: role.CreateDate?.toISOString(),
            path: role.Path,
            description: inputs.description ?? "",
            maxSessionDuration: inputs.maxSessionDuration ?? 3600,
            forceDetachPolicies: inputs.forceDetachPolicies ?? false,
            tags: inputs.tags ?? {},
            tagsAll: inputs.tags ?? {},
        },
    };
}

async function deleteRole(ctx: EmulationContext, id: string) {
    const iam = clients.iam(ctx.region);
    // The provider removes the role from its instance profiles before deleting it.
    const profiles = await iam
        .send(new ListInstanceProfilesForRoleCommand({ RoleName: id }))
        .catch((err) => {
            if (code("NoSuchEntity")(err)) return { InstanceProfiles: [] };
            throw err;
        });
    for (const profile of profiles.InstanceProfiles ?? []) {
        await goneIsFine(
            iam.send(
                new RemoveRoleFromInstanceProfileCommand({
                    RoleName: id,
                    InstanceProfileName: profile.InstanceProfileName,
                }),
            ),
            "NoSuchEntity",
        );
    }
    await goneIsFine(iam.send(new DeleteRoleCommand({ RoleName: id })), "NoSuchEntity");
}

let attachmentSequence = 0;

async function attachRolePolicy(ctx: EmulationContext, inputs: Props) {
    const role = String(inputs.role);
    await clients
        .iam(ctx.region)
        .send(new AttachRolePolicyCommand({ RoleName: role, PolicyArn: String(inputs.policyArn) }));
    // The provider's id: the role name, a dash and a timestamp-based unique suffix.
    const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 17);
    const id = `${role}-${stamp}${String(++attachmentSequence).padStart(8, "0")}`;
    return { id, outputs: { ...inputs, id } };
}

async function detachRolePolicy(ctx: EmulationContext, _id: string, outputs: Props) {
    await goneIsFine(
        clients.iam(ctx.region).send(
            new DetachRolePolicyCommand({
                RoleName: String(outputs.role),
                PolicyArn: String(outputs.policyArn),
            }),
        ),
        "NoSuchEntity",
    );
}

/** An inline policy; the provider's id is `role:name`. */
async function putRolePolicy(ctx: EmulationContext, inputs: Props) {
    const role = String(inputs.role);
    const name = physicalName(ctx, inputs);
    await clients.iam(ctx.region).send(
        new PutRolePolicyCommand({
            RoleName: role,
            PolicyName: name,
            PolicyDocument: String(inputs.policy),
        }),
    );
    const id = `${role}:${name}`;
    return { id, outputs: { ...inputs, id, name } };
}

async function deleteRolePolicy(ctx: EmulationContext, _id: string, outputs: Props) {
    await goneIsFine(
        clients.iam(ctx.region).send(
            new DeleteRolePolicyCommand({
                RoleName: String(outputs.role),
                PolicyName: String(outputs.name),
            }),
        ),
        "NoSuchEntity",
    );
}

async function createInstanceProfile(ctx: EmulationContext, inputs: Props) {
    const iam = clients.iam(ctx.region);
    const name = physicalName(ctx, inputs);
    const created = await iam.send(
        new CreateInstanceProfileCommand({
            InstanceProfileName: name,
            Path: (inputs.path as string | undefined) ?? "/",
            Tags: awsTags(inputs.tags),
        }),
    );
    if (inputs.role)
        await iam.send(
            new AddRoleToInstanceProfileCommand({
                InstanceProfileName: name,
                RoleName: String(inputs.role),
            }),
        );
    const profile = created.InstanceProfile!;
    return {
        id: name,
        outputs: {
            ...inputs,
            id: name,
            name,
            arn: profile.Arn,
            uniqueId: profile.InstanceProfileId,
            path: profile.Path,
            createDate: profile.CreateDate?.toISOString(),
            role: inputs.role ?? "",
            tags: inputs.tags ?? {},
            tagsAll: inputs.tags ?? {},
        },
    };
}

async function deleteInstanceProfile(ctx: EmulationContext, id: string, outputs: Props) {
    const iam = clients.iam(ctx.region);
    if (outputs.role) {
        await goneIsFine(
            iam.send(
                new RemoveRoleFromInstanceProfileCommand({
                    InstanceProfileName: id,
                    RoleName: String(outputs.role),
                }),
            ),
            "NoSuchEntity",
        );
    }
    await goneIsFine(
        iam.send(new DeleteInstanceProfileCommand({ InstanceProfileName: id })),
        "NoSuchEntity",
    );
}

// --- aws:ssm/document:Document --------------------------------------------------------------

async function createDocument(ctx: EmulationContext, inputs: Props) {
    const name = physicalName(ctx, inputs);
    const format = ((inputs.documentFormat as string | undefined) ?? "JSON") as DocumentFormat;
    const created = await clients.ssm(ctx.region).send(
        new CreateDocumentCommand({
            Name: name,
            Content: String(inputs.content ?? ""),
            DocumentType: inputs.documentType as DocumentType,
            DocumentFormat: format,
            TargetType: inputs.targetType as string | undefined,
            VersionName: inputs.versionName as string | undefined,
            Tags: awsTags(inputs.tags),
        }),
    );
    const d = created.DocumentDescription!;
    return {
        id: name,
        outputs: {
            ...inputs,
            id: name,
            name,
            documentFormat: format,
            arn: `arn:aws:ssm:${ctx.region}:${await accountId(ctx.region)}:document/${name}`,
            documentVersion: d.DocumentVersion,
            latestVersion: d.LatestVersion,
            defaultVersion: d.DefaultVersion,
            hash: d.Hash,
            hashType: d.HashType,
            status: d.Status,
            owner: d.Owner,
            schemaVersion: d.SchemaVersion,
            platformTypes: d.PlatformTypes ?? [],
            createdDate: d.CreatedDate?.toISOString(),
            tags: inputs.tags ?? {},
            tagsAll: inputs.tags ?? {},
        },
    };
}

async function deleteDocument(ctx: EmulationContext, id: string) {
    await goneIsFine(
        clients.ssm(ctx.region).send(new DeleteDocumentCommand({ Name: id })),
        "InvalidDocument",
    );
}
