/**
 * iam/operator-policy.json grants exactly what a `pulumi up` / `pulumi destroy` of ResetAccess
 * needs: every AWS SDK command the custom steps send (found by scanning the source for
 * `new XxxCommand(`), the calls the aws provider makes for each resource type and invoke the
 * component uses (found by scanning for `new aws.x.Y(` and `aws.x.getY(`), and the documented
 * extras below; nothing else.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

const REPO = path.resolve(__dirname, "..", "..");
const POLICY_FILE = "iam/operator-policy.json";
const SOURCE_DIRS = ["components", "dynamic-providers", "lib"];

/** IAM's service prefix of each AWS SDK v3 client the code may import. */
const IAM_PREFIX: Record<string, string> = {
    "client-ec2": "ec2",
    "client-ssm": "ssm",
    "client-auto-scaling": "autoscaling",
    "client-sts": "sts",
    "client-iam": "iam",
    "client-kms": "kms",
};

/**
 * What the aws provider (the Terraform AWS provider underneath) calls to create, read and
 * delete each resource type the component declares, and for each invoke (the temporary
 * network is plain aws.ec2 resources: components/temporary-network.ts).
 */
const PULUMI_ACTIONS: Record<string, string[]> = {
    "aws.ec2.Vpc": [
        // The provider reads the VPC's main route table, default network ACL and security group back.
        "ec2:CreateVpc", "ec2:ModifyVpcAttribute", "ec2:DeleteVpc", "ec2:DescribeVpcs", "ec2:DescribeVpcAttribute", "ec2:CreateTags",
        "ec2:DescribeRouteTables", "ec2:DescribeNetworkAcls", "ec2:DescribeSecurityGroups",
    ],
    "aws.ec2.InternetGateway": [
        "ec2:CreateInternetGateway", "ec2:AttachInternetGateway", "ec2:DetachInternetGateway", "ec2:DeleteInternetGateway",
        "ec2:DescribeInternetGateways", "ec2:CreateTags",
    ],
    "aws.ec2.Subnet": ["ec2:CreateSubnet", "ec2:ModifySubnetAttribute", "ec2:DeleteSubnet", "ec2:DescribeSubnets", "ec2:CreateTags"],
    "aws.ec2.RouteTable": ["ec2:CreateRouteTable", "ec2:DeleteRouteTable", "ec2:DescribeRouteTables", "ec2:CreateTags"],
    "aws.ec2.Route": ["ec2:CreateRoute", "ec2:DeleteRoute", "ec2:DescribeRouteTables"],
    "aws.ec2.RouteTableAssociation": ["ec2:AssociateRouteTable", "ec2:DisassociateRouteTable", "ec2:DescribeRouteTables"],
    "aws.ec2.SecurityGroup": [
        // The provider removes the default allow-all egress rule, then adds the declared one.
        "ec2:CreateSecurityGroup", "ec2:RevokeSecurityGroupEgress", "ec2:AuthorizeSecurityGroupEgress", "ec2:CreateTags",
        "ec2:DescribeSecurityGroups", "ec2:DescribeNetworkInterfaces", "ec2:DeleteSecurityGroup",
    ],
    "aws.iam.Role": [
        "iam:CreateRole", "iam:GetRole", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies",
        // Deleting a role first removes it from its instance profiles.
        "iam:ListInstanceProfilesForRole", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteRole",
    ],
    "aws.iam.RolePolicyAttachment": ["iam:AttachRolePolicy", "iam:ListAttachedRolePolicies", "iam:DetachRolePolicy"],
    "aws.iam.InstanceProfile": [
        "iam:CreateInstanceProfile", "iam:AddRoleToInstanceProfile", "iam:GetInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile",
    ],
    "aws.ssm.Document": [
        // CreateDocument with Tags needs AddTagsToResource too.
        "ssm:CreateDocument", "ssm:AddTagsToResource", "ssm:DescribeDocument", "ssm:GetDocument", "ssm:DescribeDocumentPermission",
        "ssm:ListTagsForResource", "ssm:DeleteDocument",
    ],
    "aws.ec2.Instance": [
        // RunInstances with an instance profile passes its role to EC2 (iam:PassRole).
        "ec2:RunInstances", "ec2:CreateTags", "iam:PassRole", "ec2:DescribeInstances", "ec2:DescribeInstanceAttribute",
        "ec2:DescribeInstanceTypes", "ec2:DescribeInstanceCreditSpecifications", "ec2:DescribeVolumes", "ec2:DescribeTags",
        "ec2:DescribeImages", "ec2:DescribeNetworkInterfaces", "ec2:TerminateInstances",
    ],
    "aws.ec2.getInstance": ["ec2:DescribeInstances", "ec2:DescribeInstanceAttribute", "ec2:DescribeInstanceCreditSpecifications", "ec2:DescribeVolumes"],
    "aws.ec2.getSubnet": ["ec2:DescribeSubnets"],
    "aws.getRegion": ["ec2:DescribeRegions"],
};

/**
 * Granted although no code names them: AWS checks them on the operator when a volume or the
 * key parameter uses a customer managed KMS key (AWS managed keys need no grant of yours).
 * The README's Permissions section explains them.
 */
const DOCUMENTED_EXTRAS: Record<string, string> = {
    "kms:CreateGrant": "EC2 attaching, starting or imaging with a volume encrypted by a customer managed key",
    "kms:Decrypt": "the same, and reading the key parameter back",
    "kms:DescribeKey": "EC2 checking the key of an encrypted volume",
    "kms:GenerateDataKeyWithoutPlaintext": "EC2 creating the helper's encrypted root with a customer managed default EBS key",
    "kms:ReEncryptFrom": "EC2 re-encrypting a volume created from an encrypted snapshot",
    "kms:ReEncryptTo": "the same",
    "kms:Encrypt": "SSM storing the generated key with keyParameterKmsKeyId",
};

/** Wildcards the policy may use, and why; each must cover at least one required action. */
const ALLOWED_WILDCARDS: Record<string, string> = {
    "ec2:Describe*": "read-only; the aws provider's reads of an instance or a VPC call Describe APIs that vary between provider versions",
};

interface Statement {
    Sid?: string;
    Effect: string;
    Action?: string | string[];
    NotAction?: unknown;
    Resource?: unknown;
}

function readPolicy(): { Version: string; Statement: Statement[] } {
    return JSON.parse(fs.readFileSync(path.join(REPO, POLICY_FILE), "utf8"));
}

function sourceFiles(): string[] {
    const files: string[] = [];
    const walk = (dir: string) => {
        for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
            const full = path.join(dir, entry.name);
            if (entry.isDirectory()) walk(full);
            else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) files.push(full);
        }
    };
    for (const dir of SOURCE_DIRS) walk(path.join(REPO, dir));
    return files;
}

/** `ec2:StopInstances` for every `new StopInstancesCommand(` of an @aws-sdk client, by file. */
export function actionsOfSdkCommands(): Map<string, string[]> {
    const found = new Map<string, string[]>();
    for (const file of sourceFiles()) {
        const text = fs.readFileSync(file, "utf8");
        const clientOf = new Map<string, string>();
        for (const [, names, client] of text.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*"@aws-sdk\/([\w-]+)"/g)) {
            for (const name of names.split(",").map((n) => n.trim()).filter(Boolean)) clientOf.set(name.split(/\s+as\s+/).pop()!, client);
        }
        for (const [, command] of text.matchAll(/new\s+(\w+)Command\s*\(/g)) {
            const where = path.relative(REPO, file);
            const client = clientOf.get(`${command}Command`);
            assert.ok(client, `${where}: new ${command}Command( is not imported from an @aws-sdk client`);
            const prefix = IAM_PREFIX[client];
            assert.ok(prefix, `${where}: @aws-sdk/${client} has no IAM prefix in IAM_PREFIX (test/package/operator-policy.test.ts)`);
            const action = `${prefix}:${command}`;
            found.set(action, [...new Set([...(found.get(action) ?? []), where])]);
        }
    }
    return found;
}

/** `aws.ec2.Instance` for `new aws.ec2.Instance(`, `aws.ec2.getSubnet` for `aws.ec2.getSubnetOutput(`. */
export function pulumiResourcesAndInvokes(): Set<string> {
    const found = new Set<string>();
    for (const file of sourceFiles()) {
        const text = fs.readFileSync(file, "utf8");
        for (const [, name] of text.matchAll(/new\s+((?:aws|awsx)\.[\w.]+)\s*\(/g)) found.add(name);
        for (const [, name] of text.matchAll(/\b(aws\.(?:\w+\.)?get\w+?)(?:Output)?\s*\(/g)) found.add(name);
    }
    return found;
}

const key = (action: string) => action.toLowerCase();

function covers(pattern: string, action: string): boolean {
    const regex = new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`, "i");
    return regex.test(action);
}

describe(`${POLICY_FILE}: the operator's IAM policy`, () => {
    const policy = readPolicy();
    const granted = policy.Statement.flatMap((s) => (Array.isArray(s.Action) ? s.Action : s.Action ? [s.Action] : []));
    const sdk = actionsOfSdkCommands();
    const used = pulumiResourcesAndInvokes();

    it("is a valid identity policy of Allow statements with explicit actions", () => {
        assert.equal(policy.Version, "2012-10-17");
        for (const statement of policy.Statement) {
            assert.equal(statement.Effect, "Allow", `statement ${statement.Sid}`);
            assert.ok(statement.Sid && /^[A-Za-z0-9]+$/.test(statement.Sid), `every statement has an alphanumeric Sid saying what it is for: ${statement.Sid}`);
            assert.equal(statement.NotAction, undefined, `statement ${statement.Sid}: no NotAction`);
            assert.ok(statement.Resource, `statement ${statement.Sid} has a Resource`);
        }
        const duplicates = granted.filter((a, i) => granted.findIndex((b) => key(a) === key(b)) !== i);
        assert.deepEqual(duplicates, [], "actions granted twice");
    });

    it("knows the aws provider's calls for every resource type and invoke the component uses, and for nothing else", () => {
        assert.ok(sdk.size > 20, `only ${sdk.size} SDK commands found: is the scan still finding them?`);
        assert.deepEqual([...used].filter((u) => !PULUMI_ACTIONS[u]), [], "add these to PULUMI_ACTIONS with the AWS actions the aws provider calls for them");
        assert.deepEqual(Object.keys(PULUMI_ACTIONS).filter((u) => !used.has(u)), [], "the component no longer uses these: remove them from PULUMI_ACTIONS");
    });

    it("grants every action the code and the aws provider call", () => {
        const required = new Map<string, string>();
        for (const [action, files] of sdk) required.set(action, `sent by ${files.join(", ")}`);
        for (const [resource, actions] of Object.entries(PULUMI_ACTIONS)) for (const action of actions) if (!required.has(action)) required.set(action, `called by the aws provider for ${resource}`);
        const missing = [...required].filter(([action]) => !granted.some((g) => covers(g, action))).map(([action, why]) => `${action} (${why})`);
        assert.deepEqual(missing, [], `${POLICY_FILE} lacks these`);
    });

    it("grants nothing else: each action is required or a documented extra, each wildcard allowed and needed", () => {
        const required = [...sdk.keys(), ...Object.values(PULUMI_ACTIONS).flat()];
        const exact = new Set([...required, ...Object.keys(DOCUMENTED_EXTRAS)].map(key));
        const unjustified = granted.filter((g) => {
            if (!g.includes("*")) return !exact.has(key(g));
            return !ALLOWED_WILDCARDS[g] || !required.some((action) => covers(g, action));
        });
        assert.deepEqual(unjustified, [], "granted without a reason: remove them, or document them in DOCUMENTED_EXTRAS and the README");
        const extrasNotGranted = Object.keys(DOCUMENTED_EXTRAS).filter((extra) => !granted.some((g) => key(g) === key(extra)));
        assert.deepEqual(extrasNotGranted, [], "documented extras missing from the policy");
    });

    it("is what the README's Permissions section points to, with the extras explained", () => {
        const readme = fs.readFileSync(path.join(REPO, "README.md"), "utf8");
        const section = /^## Permissions\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1] ?? "";
        assert.ok(section.includes(POLICY_FILE), `the Permissions section does not name ${POLICY_FILE}`);
        for (const extra of Object.keys(DOCUMENTED_EXTRAS)) assert.ok(section.includes(extra), `the Permissions section does not explain ${extra}`);
    });
});
