/**
 * The helper role's permissions boundary (`helperPermissionsBoundary`), checked by the preflight
 * before anything is created: the policy must exist (CreateRole fails on it otherwise, after the
 * network is made), and must not plainly withhold what the helper's SSM agent needs (the helper
 * would never answer, and the `up` would wait helperReadyTimeout to say so).
 */
import { GetPolicyCommand, GetPolicyVersionCommand, IAMClient } from "@aws-sdk/client-iam";
import { awsErrorCode } from "./aws-errors";
import { AGENT_ACTIONS } from "./helper-policy";

const CREATE_IT =
    "create it from the package's iam/helper-policy.json: aws iam create-policy --path /ec2-reset-access/ " +
    "--policy-name helper-boundary --policy-document file://iam/helper-policy.json";

interface Statement {
    Effect?: string;
    Action?: string | string[];
    NotAction?: string | string[];
    Resource?: string | string[];
    Condition?: unknown;
}

/** Why the boundary cannot serve, or undefined when it can. */
export async function permissionsBoundaryRefusal(
    iam: IAMClient,
    arn: string,
): Promise<string | undefined> {
    let versionId: string | undefined;
    try {
        versionId = (await iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy
            ?.DefaultVersionId;
    } catch (err) {
        const code = awsErrorCode(err);
        if (code === "NoSuchEntity")
            return `helperPermissionsBoundary: the policy ${arn} does not exist; ${CREATE_IT}, then run again.`;
        if (code === "AccessDenied")
            return `helperPermissionsBoundary: reading the policy ${arn} was denied; allow iam:GetPolicy and iam:GetPolicyVersion on it (iam/operator-policy.json's ReadOnly does), then run again.`;
        throw err;
    }
    const version = await iam.send(
        new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: versionId }),
    );
    // IAM returns the document URL-encoded (RFC 3986).
    const document = JSON.parse(decodeURIComponent(version.PolicyVersion?.Document ?? "{}"));
    const withheld = AGENT_ACTIONS.filter((action) => !mayAllow(document.Statement, action));
    if (!withheld.length) return undefined;
    return (
        `helperPermissionsBoundary: the policy ${arn} does not allow ${withheld.join(", ")}, which the helper's SSM ` +
        `agent needs to take Run Command; the helper would never answer. Add them to it, or ${CREATE_IT}.`
    );
}

/**
 * Whether the statements can allow `action` on "*". Lenient where it cannot know: a statement
 * with a condition counts as allowing, and only an unconditional Deny as denying.
 */
function mayAllow(statements: Statement | Statement[] | undefined, action: string): boolean {
    const list =
        statements === undefined ? [] : Array.isArray(statements) ? statements : [statements];
    const applies = (s: Statement) =>
        asList(s.Resource).some((r) => r === "*") &&
        (s.NotAction !== undefined
            ? !asList(s.NotAction).some((a) => matches(a, action))
            : asList(s.Action).some((a) => matches(a, action)));
    if (list.some((s) => s.Effect === "Deny" && !s.Condition && applies(s))) return false;
    return list.some((s) => s.Effect === "Allow" && applies(s));
}

const asList = (v: string | string[] | undefined): string[] =>
    v === undefined ? [] : Array.isArray(v) ? v : [v];

/** IAM's action matching: case-insensitive, `*` and `?` wildcards. */
function matches(pattern: string, action: string): boolean {
    const regex = pattern
        .split("")
        .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
        .join("");
    return new RegExp(`^${regex}$`, "i").test(action);
}
