/**
 * The helper's permissions: iam/helper-policy.json, put inline on its role. It lets the SSM
 * agent register and take and answer Run Command, and nothing else: no parameter, secret, KMS,
 * S3, IAM, STS or EC2 permission. (AmazonSSMManagedInstanceCore, which the helper had before,
 * grants ssm:GetParameter on `*`: with the aws/ssm key, the helper, which mounts an
 * attacker-shaped filesystem, could have read the new private key.)
 */
import * as fs from "node:fs";
import * as path from "node:path";

/**
 * What iam/helper-policy.json allows, as a constant: the preflight (a serialized dynamic
 * provider) checks a permissions boundary against it without reading the file. A test keeps the
 * two equal.
 */
export const AGENT_ACTIONS = [
    "ssm:UpdateInstanceInformation",
    "ec2messages:AcknowledgeMessage",
    "ec2messages:DeleteMessage",
    "ec2messages:FailMessage",
    "ec2messages:GetEndpoint",
    "ec2messages:GetMessages",
    "ec2messages:SendReply",
    "ssmmessages:CreateControlChannel",
    "ssmmessages:OpenControlChannel",
];

/** The IAM path of the helper's role and instance profile; the operator policy scopes IAM writes to it. */
export const HELPER_IAM_PATH = "/ec2-reset-access/";

/** iam/helper-policy.json as text: beside components/ in the source tree, two levels up from dist/lib/. */
export function helperPolicyDocument(): string {
    const candidates = [path.join(__dirname, "..", "iam"), path.join(__dirname, "..", "..", "iam")];
    const dir = candidates.find((d) => fs.existsSync(path.join(d, "helper-policy.json")));
    if (!dir)
        throw new Error(
            `iam/helper-policy.json not found (looked in ${candidates.join(", ")}); reinstall the package`,
        );
    return JSON.stringify(
        JSON.parse(fs.readFileSync(path.join(dir, "helper-policy.json"), "utf8")),
    );
}
