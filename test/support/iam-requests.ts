/**
 * What IAM authorizes for each AWS call in the emulator's log: the action, every resource ARN
 * the service reference (iam-data) lists for it, with that resource's tags, and the request's
 * own context keys (tags it sets, the role it passes). One call can make several requests:
 * AttachVolume is authorized on the instance and on the volume, RunInstances with an instance
 * profile also needs iam:PassRole, and a create with TagSpecifications also needs
 * ec2:CreateTags with ec2:CreateAction. Calls that need no permission (sts:GetCallerIdentity)
 * make none; a call this file does not know fails, naming the operation to add.
 */
import { CallRecord } from "../../harness/emulator";

export interface IamRequest {
    action: string;
    resource: string;
    context: Record<string, string | string[]>;
    /** The call it comes from, for messages. */
    from: string;
}

/** What the mapping needs to know of the account: ids, and the tags each resource had. */
export interface World {
    account: string;
    region: string;
    /** Tags of an EC2 resource (instance, volume, image, snapshot) by id. */
    ec2Tags(id: string): Record<string, string>;
    /** Tags of an SSM document by name. */
    documentTags(name: string): Record<string, string>;
    /** IAM path ("/" or "/ec2-reset-access/") of a role or instance profile by name. */
    iamPath(kind: "role" | "instance-profile", name: string): string;
    /** The role of an instance profile, by profile name or ARN. */
    roleOfProfile(profile: string): string;
    /** The permissions boundary of a role by name, if it has one. */
    roleBoundary(name: string): string | undefined;
    /** The key ARN a KMS key id, key ARN, alias or alias ARN names (IAM authorizes an alias's use on its key). */
    kmsKeyArn(keyId: string): string;
}

const ALWAYS_ALLOWED = new Set(["sts:GetCallerIdentity"]);
const EC2_TYPES: Record<string, string> = {
    "i-": "instance",
    "vol-": "volume",
    "ami-": "image",
    "snap-": "snapshot",
    "vpc-": "vpc",
    "subnet-": "subnet",
    "sg-": "security-group",
    "igw-": "internet-gateway",
    "rtb-": "route-table",
    "eni-": "network-interface",
};

/** The IAM requests one logged call makes. */
export function requestsOf(call: CallRecord, world: World): IamRequest[] {
    const action = `${call.service === "autoscaling" ? "autoscaling" : call.service}:${call.operation}`;
    if (ALWAYS_ALLOWED.has(action)) return [];
    const from = `${action} ${JSON.stringify(call.params).slice(0, 200)}`;
    const make = (
        resource: string,
        context: Record<string, string | string[]> = {},
        act = action,
    ): IamRequest => ({ action: act, resource, context, from });
    const mapper = MAPPERS[action];
    if (/^(Describe|Get|List)/.test(call.operation) && call.service !== "ssm" && !mapper)
        return [make("*")];
    if (!mapper)
        throw new Error(`test/support/iam-requests.ts has no IAM mapping for ${action}: add one`);
    return mapper(call.params, world, make);
}

type Make = (
    resource: string,
    context?: Record<string, string | string[]>,
    action?: string,
) => IamRequest;
type Mapper = (p: Record<string, unknown>, w: World, make: Make) => IamRequest[];

/** `arn:aws:ec2:region:account:instance/i-…` for an id, with its tags as aws:ResourceTag/…. */
function ec2Resource(
    w: World,
    id: string,
    make: Make,
    extra: Record<string, string | string[]> = {},
): IamRequest {
    const prefix = Object.keys(EC2_TYPES).find((p) => id.startsWith(p));
    if (!prefix) throw new Error(`no EC2 resource type for ${id}`);
    const type = EC2_TYPES[prefix];
    const account = type === "image" || type === "snapshot" ? "" : w.account;
    return make(`arn:aws:ec2:${w.region}:${account}:${type}/${id}`, {
        ...resourceTags(w.ec2Tags(id)),
        ...extra,
    });
}

function resourceTags(
    tags: Record<string, string>,
    prefix = "aws:ResourceTag",
): Record<string, string> {
    return Object.fromEntries(Object.entries(tags).map(([k, v]) => [`${prefix}/${k}`, v]));
}

function requestTags(tags: Record<string, string>): Record<string, string | string[]> {
    return { ...resourceTags(tags, "aws:RequestTag"), "aws:TagKeys": Object.keys(tags) };
}

/** Values of query parameters `Name.1`, `Name.2`… (or a JSON array under `Name`). */
function list(p: Record<string, unknown>, name: string): string[] {
    if (Array.isArray(p[name])) return (p[name] as unknown[]).map(String);
    return Object.keys(p)
        .filter((k) => new RegExp(`^${name}\\.\\d+$`).test(k))
        .sort(byIndex)
        .map((k) => String(p[k]));
}

function byIndex(a: string, b: string): number {
    return Number(a.split(".").pop()) - Number(b.split(".").pop());
}

/** Query-protocol `Prefix.N.Key` / `Prefix.N.Value` pairs (or a JSON [{Key, Value}]) as a map. */
function tagPairs(p: Record<string, unknown>, prefix: string): Record<string, string> {
    if (Array.isArray(p[prefix]))
        return Object.fromEntries(
            (p[prefix] as { Key: string; Value: string }[]).map((t) => [t.Key, t.Value]),
        );
    const tags: Record<string, string> = {};
    for (const key of Object.keys(p)) {
        const m = new RegExp(`^${prefix.replace(/\./g, "\\.")}\\.(\\d+)\\.Key$`).exec(key);
        if (m) tags[String(p[key])] = String(p[`${prefix}.${m[1]}.Value`] ?? "");
    }
    return tags;
}

/** TagSpecification.N.ResourceType → its tags. */
function tagSpecifications(p: Record<string, unknown>): Record<string, Record<string, string>> {
    const specs: Record<string, Record<string, string>> = {};
    for (const key of Object.keys(p)) {
        const m = /^TagSpecification\.(\d+)\.ResourceType$/.exec(key);
        if (m) specs[String(p[key])] = tagPairs(p, `TagSpecification.${m[1]}.Tag`);
    }
    return specs;
}

/** A create: the new resource (`type/*`) with the tags it gets, and ec2:CreateTags for them. */
function ec2Create(
    w: World,
    make: Make,
    operation: string,
    types: string[],
    p: Record<string, unknown>,
): IamRequest[] {
    const specs = tagSpecifications(p);
    return types.flatMap((type) => {
        const account = type === "image" || type === "snapshot" ? "" : w.account;
        const arn = `arn:aws:ec2:${w.region}:${account}:${type}/*`;
        const tags = specs[type] ?? {};
        const created = make(arn, requestTags(tags));
        if (!Object.keys(tags).length) return [created];
        return [
            created,
            make(arn, { ...requestTags(tags), "ec2:CreateAction": operation }, "ec2:CreateTags"),
        ];
    });
}

const byIds =
    (...params: string[]): Mapper =>
    (p, w, make) =>
        params
            .flatMap((name) => [
                ...list(p, name),
                ...(typeof p[name] === "string" ? [p[name] as string] : []),
            ])
            .map((id) => ec2Resource(w, id, make));
const onAnything: Mapper = (_p, _w, make) => [make("*")];

function iamArn(w: World, kind: "role" | "instance-profile", name: string): string {
    return `arn:aws:iam::${w.account}:${kind}${w.iamPath(kind, name)}${name}`;
}

function ssmArn(w: World, kind: "document" | "parameter", name: string): string {
    // AWS's public parameters (/aws/service/…) have no account in their ARN; iam-data's ARN
    // format needs one, so they are asked for under the caller's account (the policy grants both).
    return `arn:aws:ssm:${w.region}:${w.account}:${kind}/${name.replace(/^\//, "")}`;
}

/** iam:PermissionsBoundary, when there is one (IAM sets no key for a role without a boundary). */
function boundaryKey(arn: unknown): Record<string, string> {
    return arn ? { "iam:PermissionsBoundary": String(arn) } : {};
}

/** A call on an existing role: IAM gives it the role's boundary as iam:PermissionsBoundary. */
function onRole(
    extra: (p: Record<string, unknown>) => Record<string, string> = () => ({}),
): Mapper {
    return (p, w, make) => {
        const name = String(p.RoleName);
        return [
            make(iamArn(w, "role", name), { ...boundaryKey(w.roleBoundary(name)), ...extra(p) }),
        ];
    };
}

const MAPPERS: Record<string, Mapper> = {
    "ec2:RunInstances": (p, w, make) => {
        const requests = ec2Create(w, make, "RunInstances", ["instance"], p);
        requests.push(ec2Resource(w, String(p.ImageId), make));
        if (p.SubnetId) requests.push(ec2Resource(w, String(p.SubnetId), make));
        for (const group of list(p, "SecurityGroupId")) requests.push(ec2Resource(w, group, make));
        requests.push(
            make(`arn:aws:ec2:${w.region}:${w.account}:network-interface/*`),
            make(`arn:aws:ec2:${w.region}:${w.account}:volume/*`),
        );
        if (p.KeyName)
            requests.push(make(`arn:aws:ec2:${w.region}:${w.account}:key-pair/${p.KeyName}`));
        const profile = p["IamInstanceProfile.Name"] ?? p["IamInstanceProfile.Arn"];
        if (profile) {
            const role = w.roleOfProfile(String(profile));
            requests.push(
                make(
                    iamArn(w, "role", role),
                    { "iam:PassedToService": "ec2.amazonaws.com" },
                    "iam:PassRole",
                ),
            );
        }
        return requests;
    },
    "ec2:StopInstances": byIds("InstanceId"),
    "ec2:StartInstances": byIds("InstanceId"),
    "ec2:TerminateInstances": byIds("InstanceId"),
    "ec2:ModifyInstanceAttribute": byIds("InstanceId"),
    "ec2:AttachVolume": byIds("InstanceId", "VolumeId"),
    "ec2:DetachVolume": (p, w, make) => {
        // Authorized on the instance it leaves too (the call may omit it: the volume says).
        if (!p.InstanceId)
            throw new Error("DetachVolume without InstanceId: the mapping needs the instance");
        return byIds("InstanceId", "VolumeId")(p, w, make);
    },
    "ec2:CreateTags": (p, w, make) => {
        const tags = tagPairs(p, "Tag");
        return list(p, "ResourceId").map((id) => ec2Resource(w, id, make, requestTags(tags)));
    },
    "ec2:DeleteTags": (p, w, make) => {
        const keys = Object.keys(tagPairs(p, "Tag"));
        return list(p, "ResourceId").map((id) => ec2Resource(w, id, make, { "aws:TagKeys": keys }));
    },
    "ec2:CreateImage": (p, w, make) => [
        ec2Resource(w, String(p.InstanceId), make),
        ...ec2Create(w, make, "CreateImage", ["image", "snapshot"], p),
    ],
    "ec2:DeregisterImage": byIds("ImageId"),
    "ec2:DeleteSnapshot": byIds("SnapshotId"),
    "ec2:CreateVpc": (p, w, make) => ec2Create(w, make, "CreateVpc", ["vpc"], p),
    "ec2:CreateInternetGateway": (p, w, make) =>
        ec2Create(w, make, "CreateInternetGateway", ["internet-gateway"], p),
    "ec2:CreateSubnet": (p, w, make) => [
        ...ec2Create(w, make, "CreateSubnet", ["subnet"], p),
        ec2Resource(w, String(p.VpcId), make),
    ],
    "ec2:CreateRouteTable": (p, w, make) => [
        ...ec2Create(w, make, "CreateRouteTable", ["route-table"], p),
        ec2Resource(w, String(p.VpcId), make),
    ],
    "ec2:CreateSecurityGroup": (p, w, make) => [
        ...ec2Create(w, make, "CreateSecurityGroup", ["security-group"], p),
        ec2Resource(w, String(p.VpcId), make),
    ],
    "ec2:ModifyVpcAttribute": byIds("VpcId"),
    "ec2:ModifySubnetAttribute": byIds("SubnetId"),
    "ec2:AttachInternetGateway": byIds("InternetGatewayId", "VpcId"),
    "ec2:DetachInternetGateway": byIds("InternetGatewayId", "VpcId"),
    "ec2:DeleteInternetGateway": byIds("InternetGatewayId"),
    "ec2:AssociateRouteTable": byIds("RouteTableId", "SubnetId"),
    "ec2:DisassociateRouteTable": (_p, w, make) => [
        make(`arn:aws:ec2:${w.region}:${w.account}:route-table/*`),
    ],
    "ec2:CreateRoute": byIds("RouteTableId"),
    "ec2:DeleteRoute": byIds("RouteTableId"),
    "ec2:DeleteRouteTable": byIds("RouteTableId"),
    "ec2:DeleteSubnet": byIds("SubnetId"),
    "ec2:DeleteVpc": byIds("VpcId"),
    "ec2:RevokeSecurityGroupEgress": byIds("GroupId"),
    "ec2:AuthorizeSecurityGroupEgress": byIds("GroupId"),
    "ec2:DeleteSecurityGroup": byIds("GroupId"),
    // The boundary the call sets (CreateRole, PutRolePermissionsBoundary), or the role has.
    "iam:CreateRole": (p, w, make) => [
        make(iamArn(w, "role", String(p.RoleName)), boundaryKey(p.PermissionsBoundary)),
    ],
    "iam:PutRolePermissionsBoundary": (p, w, make) => [
        make(iamArn(w, "role", String(p.RoleName)), boundaryKey(p.PermissionsBoundary)),
    ],
    "iam:DeleteRole": onRole(),
    "iam:PutRolePolicy": onRole(),
    "iam:DeleteRolePolicy": onRole(),
    "iam:AttachRolePolicy": onRole((p) => ({ "iam:PolicyARN": String(p.PolicyArn) })),
    "iam:DetachRolePolicy": (p, w, make) => [
        make(iamArn(w, "role", String(p.RoleName)), { "iam:PolicyARN": String(p.PolicyArn) }),
    ],
    "iam:CreateInstanceProfile": (p, w, make) => [
        make(iamArn(w, "instance-profile", String(p.InstanceProfileName))),
    ],
    "iam:DeleteInstanceProfile": (p, w, make) => [
        make(iamArn(w, "instance-profile", String(p.InstanceProfileName))),
    ],
    // Adding a role to a profile also passes it (iam-data lists iam:PassRole as a dependent action).
    "iam:AddRoleToInstanceProfile": (p, w, make) => [
        make(iamArn(w, "instance-profile", String(p.InstanceProfileName))),
    ],
    "iam:RemoveRoleFromInstanceProfile": (p, w, make) => [
        make(iamArn(w, "instance-profile", String(p.InstanceProfileName))),
    ],
    "ssm:CreateDocument": (p, w, make) => {
        const arn = ssmArn(w, "document", String(p.Name));
        const tags = tagPairs(p, "Tags");
        const created = make(arn, requestTags(tags));
        return Object.keys(tags).length
            ? [created, make(arn, requestTags(tags), "ssm:AddTagsToResource")]
            : [created];
    },
    "ssm:DeleteDocument": (p, w, make) => [make(ssmArn(w, "document", String(p.Name)))],
    "ssm:UpdateDocument": (p, w, make) => [make(ssmArn(w, "document", String(p.Name)))],
    "ssm:UpdateDocumentDefaultVersion": (p, w, make) => [
        make(ssmArn(w, "document", String(p.Name))),
    ],
    "ssm:AddTagsToResource": (p, w, make) => [
        make(
            ssmArn(
                w,
                String(p.ResourceType) === "Parameter" ? "parameter" : "document",
                String(p.ResourceId),
            ),
            requestTags(tagPairs(p, "Tags")),
        ),
    ],
    "ssm:RemoveTagsFromResource": (p, w, make) => [
        make(
            ssmArn(
                w,
                String(p.ResourceType) === "Parameter" ? "parameter" : "document",
                String(p.ResourceId),
            ),
            { "aws:TagKeys": (p.TagKeys as string[]) ?? [] },
        ),
    ],
    "ssm:SendCommand": (p, w, make) => [
        make(ssmArn(w, "document", String(p.DocumentName))),
        // Run Command reads an instance's tags through ssm:resourceTag/… (AWS docs, "Restricting Run Command access based on tags").
        ...list(p, "InstanceIds").map((id) =>
            make(
                `arn:aws:ec2:${w.region}:${w.account}:instance/${id}`,
                resourceTags(w.ec2Tags(id), "ssm:resourceTag"),
            ),
        ),
    ],
    "ssm:GetCommandInvocation": onAnything,
    "ssm:DescribeInstanceInformation": onAnything,
    "ssm:DescribeDocument": (p, w, make) => [make(ssmArn(w, "document", String(p.Name)))],
    "ssm:GetDocument": (p, w, make) => [make(ssmArn(w, "document", String(p.Name)))],
    "ssm:ListTagsForResource": onAnything,
    "ssm:GetParameter": (p, w, make) => [make(ssmArn(w, "parameter", String(p.Name)))],
    "ssm:GetParameters": (p, w, make) =>
        list(p, "Names").map((n) => make(ssmArn(w, "parameter", n))),
    "ssm:PutParameter": (p, w, make) => {
        const arn = ssmArn(w, "parameter", String(p.Name));
        const tags = tagPairs(p, "Tags");
        const put = make(arn, Object.keys(tags).length ? requestTags(tags) : {});
        return Object.keys(tags).length
            ? [put, make(arn, requestTags(tags), "ssm:AddTagsToResource")]
            : [put];
    },
    "ssm:DeleteParameter": (p, w, make) => [make(ssmArn(w, "parameter", String(p.Name)))],
    "ssm:DeleteParameters": (p, w, make) =>
        list(p, "Names").map((n) => make(ssmArn(w, "parameter", n))),
    "ssm:GetParameterHistory": (p, w, make) => [make(ssmArn(w, "parameter", String(p.Name)))],
    "ssm:ListDocuments": onAnything,
    "ssm:DescribeParameters": onAnything,
    "kms:DescribeKey": (p, w, make) => [make(w.kmsKeyArn(String(p.KeyId)))],
};
