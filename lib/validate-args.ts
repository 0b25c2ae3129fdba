/**
 * Checks of the arguments that need no AWS call, run when the component is constructed: a bad
 * input fails before anything is created, with a message naming the argument and the fix.
 */
import { InvalidPublicKeyError, parsePublicKey } from "./ssh-keys";

const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;
const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;
const USER_NAME = /^[a-z_][a-z0-9_.-]{0,31}$/;
const PARAMETER_NAME = /^\/[A-Za-z0-9_.\-/]{1,1010}$/;
/** EC2 key pair names: up to 255 ASCII characters. */
const KEY_PAIR_NAME = /^[\x20-\x7e]{1,255}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@\-/]{1,512}$/;
/** A managed policy: the account's own, or AWS's (arn:aws:iam::aws:policy/…). */
const POLICY_ARN = /^arn:aws[a-z-]*:iam::(\d{12}|aws):policy\/[\w+=,.@\-/]{1,512}$/;
/** What the SSM document's allowedPattern admits in a key comment. */
const COMMENT_CHAR = /[A-Za-z0-9@._:+-]/;

export class ArgumentError extends Error {}

export function checkInstanceId(value: string): void {
    if (!INSTANCE_ID.test(value)) {
        throw new ArgumentError(
            `instanceId: "${value}" is not an instance id; expected i- followed by 8 or 17 hex digits (pulumi config set instanceId i-0123456789abcdef0).`,
        );
    }
}

export function checkSubnetId(value: string): void {
    if (!SUBNET_ID.test(value)) {
        throw new ArgumentError(
            `subnetId: "${value}" is not a subnet id; expected subnet- followed by hex digits, or omit it for a temporary VPC.`,
        );
    }
}

/** helperReadyTimeout: whole seconds, from a minute (a helper cannot register sooner) to an hour. */
export function checkHelperReadyTimeout(value: number): void {
    if (!Number.isInteger(value) || value < 60 || value > 3600) {
        throw new ArgumentError(
            `helperReadyTimeout: ${value} is not a number of seconds from 60 to 3600; omit it for the default (600 for a Linux helper, 1200 for a Windows one).`,
        );
    }
}

export function checkKeyType(value: string): void {
    if (value !== "ed25519" && value !== "rsa") {
        throw new ArgumentError(
            `keyType: "${value}" is not supported; use "ed25519" (default) or "rsa".`,
        );
    }
}

export function checkKeyParameterName(value: string): void {
    if (!PARAMETER_NAME.test(value) || value.includes("//") || value.endsWith("/")) {
        throw new ArgumentError(
            `keyParameterName: "${value}" is not a valid SSM parameter path; use a path such as /ec2rl/openssh/<instanceId>/key.`,
        );
    }
}

export function checkKeyPairName(value: string): void {
    if (!KEY_PAIR_NAME.test(value) || value.trim() !== value) {
        throw new ArgumentError(
            `newKeyName: "${value}" is not an EC2 key pair name; give the name of a key pair in the instance's region (aws ec2 describe-key-pairs), 1 to 255 ASCII characters.`,
        );
    }
}

export function checkAssumeRoleArn(value: string): void {
    if (!ROLE_ARN.test(value)) {
        throw new ArgumentError(
            `assumeRoleArn: "${value}" is not an IAM role ARN (arn:aws:iam::<account>:role/<name>).`,
        );
    }
}

export function checkPermissionsBoundary(value: string): void {
    if (!POLICY_ARN.test(value)) {
        throw new ArgumentError(
            `helperPermissionsBoundary: "${value}" is not an IAM managed policy ARN (arn:aws:iam::<account>:policy/ec2-reset-access/helper-boundary, as README's Permissions section creates it).`,
        );
    }
}

/** "auto", or the list joined with commas as the SSM document takes it. */
export function normalizeUsers(value: string[] | "auto" | undefined): string {
    if (value === undefined || value === "auto") return "auto";
    if (!Array.isArray(value) || value.length === 0 || value.length > 20) {
        throw new ArgumentError(
            `users: expected "auto" or a list of 1 to 20 user names, got ${JSON.stringify(value)}.`,
        );
    }
    for (const name of value) {
        if (!USER_NAME.test(name)) {
            throw new ArgumentError(
                `users: "${name}" is not a valid Linux user name (lower-case letters, digits, _ . -; at most 32 characters).`,
            );
        }
    }
    return value.join(",");
}

/**
 * Validates the operator's public key and returns it as the document parameter takes it: the
 * comment's characters outside [A-Za-z0-9@._:+-] become "_" (they never reach a shell).
 */
export function checkPublicKey(value: string): string {
    try {
        const key = parsePublicKey(value);
        const [type, blob] = key.line.split(" ");
        const comment = [...key.comment]
            .map((c) => (COMMENT_CHAR.test(c) ? c : "_"))
            .join("")
            .slice(0, 100);
        return comment ? `${type} ${blob} ${comment}` : `${type} ${blob}`;
    } catch (err) {
        if (err instanceof InvalidPublicKeyError) throw new ArgumentError(err.message);
        throw err;
    }
}

export function checkExclusive(
    given: Record<string, unknown>,
    first: string,
    others: string[],
): void {
    if (given[first] === undefined) return;
    const clash = others.filter((name) => given[name] !== undefined);
    if (clash.length) {
        throw new ArgumentError(
            `Only one of [${first}] and [${clash.join("], [")}] can be specified: ${first} installs your key, the others configure a generated one.`,
        );
    }
}
