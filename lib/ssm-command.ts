/** Running the reset script on the helper through SSM Run Command, and reading its verdict. */
import {
    DescribeInstanceInformationCommand,
    GetCommandInvocationCommand,
    GetCommandInvocationCommandOutput,
    SendCommandCommand,
    SSMClient,
} from "@aws-sdk/client-ssm";
import { awsErrorCode } from "./aws-errors";
import { waitFor } from "./waits";

const REGISTRATION_SECONDS = 900;
const DELIVERY_SECONDS = 600;
// An array, not a Set: Pulumi serializes a captured Set as a plain object, without its methods.
const TERMINAL = [
    "Success",
    "Failed",
    "TimedOut",
    "Cancelled",
    "Undeliverable",
    "Terminated",
    "DeliveryTimedOut",
    "ExecutionTimedOut",
];

/** Waits until the helper's SSM agent is registered and Online. */
export async function waitUntilManaged(
    ssm: SSMClient,
    instanceId: string,
    deadlineSeconds = REGISTRATION_SECONDS,
): Promise<void> {
    await waitFor(
        {
            what: `helper ${instanceId} to register with SSM (PingStatus Online)`,
            deadlineSeconds,
            maxIntervalSeconds: 2,
        },
        async () => {
            return (await managedStatus(ssm, instanceId)) === "Online" ? true : undefined;
        },
    );
}

/** The agent's PingStatus, or undefined while SSM does not list the instance. */
export async function managedStatus(
    ssm: SSMClient,
    instanceId: string,
): Promise<string | undefined> {
    const out = await ssm.send(
        new DescribeInstanceInformationCommand({
            Filters: [{ Key: "InstanceIds", Values: [instanceId] }],
        }),
    );
    return out.InstanceInformationList?.[0]?.PingStatus;
}

/** The final JSON line of either script: the Linux one reports users, the Windows one an agent. */
export interface ScriptVerdict {
    status: "ok" | "error";
    device?: string;
    filesystem?: string;
    /** Linux; `revoked`: with --revoke-comment, the fingerprints of the keys removed for that user. */
    users: Array<{
        name: string;
        file?: string;
        action: string;
        reason?: string;
        revoked?: string[];
    }>;
    warnings: string[];
    /** Why the run as a whole failed (status "error"). */
    error?: string;
    /** Windows: the launch agent found, its Windows volume, and each file changed (with its backup). */
    agent?: string;
    windowsVolume?: string;
    changes?: Array<{ file: string; action: string; backup?: string }>;
}

export interface CommandRequest {
    documentName: string;
    instanceId: string;
    parameters: Record<string, string>;
    executionTimeoutSeconds: number;
    /** SendCommand's comment: what the command does, as the console lists it. */
    comment: string;
}

/** Sends the command, waits for its end, and returns the script's final JSON line. */
export async function runScript(ssm: SSMClient, request: CommandRequest): Promise<ScriptVerdict> {
    const sent = await ssm.send(
        new SendCommandCommand({
            DocumentName: request.documentName,
            InstanceIds: [request.instanceId],
            Parameters: Object.fromEntries(
                Object.entries(request.parameters).map(([k, v]) => [k, [v]]),
            ),
            TimeoutSeconds: DELIVERY_SECONDS,
            Comment: request.comment,
        }),
    );
    const commandId = sent.Command?.CommandId;
    if (!commandId) throw new Error("SendCommand returned no CommandId");
    const deadline = DELIVERY_SECONDS + request.executionTimeoutSeconds + 60;
    const waiting = {
        what: `command ${commandId} on ${request.instanceId}`,
        deadlineSeconds: deadline,
        realTimeDeadline: true,
    };
    const invocation = await waitFor(waiting, async () => {
        try {
            const out = await ssm.send(
                new GetCommandInvocationCommand({
                    CommandId: commandId,
                    InstanceId: request.instanceId,
                }),
            );
            return TERMINAL.includes(out.Status ?? "") ? out : undefined;
        } catch (err) {
            if (awsErrorCode(err) === "InvocationDoesNotExist") return undefined; // not yet visible
            throw err;
        }
    });
    const verdict = parseVerdict(invocation.StandardOutputContent ?? "");
    if (invocation.Status !== "Success" || verdict?.status !== "ok") {
        throw new Error(describeFailure(commandId, invocation, verdict));
    }
    return verdict;
}

/** The last line of stdout that parses as a JSON object with a status. */
export function parseVerdict(stdout: string): ScriptVerdict | undefined {
    const lines = stdout.trimEnd().split("\n").reverse();
    for (const line of lines) {
        if (!line.trim().startsWith("{")) continue;
        try {
            const parsed = JSON.parse(line);
            if (parsed && typeof parsed.status === "string")
                return { ...parsed, users: parsed.users ?? [], warnings: parsed.warnings ?? [] };
        } catch {
            // not the verdict line
        }
    }
    return undefined;
}

function describeFailure(
    commandId: string,
    inv: GetCommandInvocationCommandOutput,
    verdict?: ScriptVerdict,
): string {
    const tail = (text: string | undefined) =>
        (text ?? "").trimEnd().split("\n").slice(-8).join("\n  ");
    return [
        `the reset script ended ${inv.Status} (exit code ${inv.ResponseCode ?? "none"}, command ${commandId})`,
        verdict ? `result: ${JSON.stringify(verdict)}` : "the script printed no result line",
        `last output lines:\n  ${tail(inv.StandardOutputContent)}`,
        inv.StandardErrorContent?.trim()
            ? `last error lines:\n  ${tail(inv.StandardErrorContent)}`
            : "",
    ]
        .filter(Boolean)
        .join("\n");
}
