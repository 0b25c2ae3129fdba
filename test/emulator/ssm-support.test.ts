/**
 * What the SSM and disk tests share: SSM-managed instances, a latency profile of their own, and a
 * wait for a command's end. (A .test.ts file so that it may live beside them; its one test checks
 * the fixture itself.)
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EC2Client } from "@aws-sdk/client-ec2";
import { IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import {
    GetCommandInvocationCommand,
    GetCommandInvocationCommandOutput,
    SendCommandCommand,
    SendCommandCommandInput,
    SSMClient,
} from "@aws-sdk/client-ssm";
import { createSsmInstanceProfile } from "../../rehearsal/ssm-profile";
import { emulator } from "../hooks";
import { instantProfile, launchInstances, pingStatus } from "../support/instances";
import { poll as pollEvery } from "../support/poll";

const TERMINAL = new Set(["Success", "Failed", "TimedOut", "Cancelled"]);

export const ec2 = () => new EC2Client({ maxAttempts: 1 });
export const ssm = () => new SSMClient({ maxAttempts: 1 });
export const iam = () => new IAMClient({ maxAttempts: 1 });

let profiles = 0;
const temporary: string[] = [];

/** A new folder under the system's temp folder, removed by `removeTempDirs`. */
export function tempDir(prefix: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    temporary.push(dir);
    return dir;
}

export function removeTempDirs(): void {
    for (const dir of temporary.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** An instance profile whose role has AmazonSSMManagedInstanceCore (`managed` true), nothing (false), or the given inline policy. */
export async function instanceProfile(managed: boolean | object = true): Promise<string> {
    const name = `ssm-test-${++profiles}`;
    const arn = await createSsmInstanceProfile(iam(), name, { managed: managed === true });
    // An inline policy instead (iam/helper-policy.json, or one lacking an agent action).
    if (typeof managed === "object")
        await iam().send(
            new PutRolePolicyCommand({
                RoleName: name,
                PolicyName: "agent",
                PolicyDocument: JSON.stringify(managed),
            }),
        );
    return arn;
}

/** Launches `count` instances with the given instance profile (none when undefined). */
export function launchWithProfile(profileArn?: string, count = 1): Promise<string[]> {
    return launchInstances(count, profileArn ? { IamInstanceProfile: { Arn: profileArn } } : {});
}

export async function managedInstance(): Promise<string> {
    return (await launchWithProfile(await instanceProfile()))[0];
}

/** Switches the emulator to a profile with these durations (AWS seconds) at this time scale. */
export async function useProfile(
    durations: Record<string, number>,
    timeScale: number,
): Promise<void> {
    const file = path.join(tempDir("ssm-profile-"), "ssm-test.json");
    fs.writeFileSync(file, JSON.stringify({ timeScale, durations }));
    await emulator().control("POST", "/profile", { name: file });
}

export { instantProfile, pingStatus };

export { sleep } from "../support/poll";

/** Polls `probe` until it returns a value other than undefined, or fails after `ms` (commands take longer than EC2 states). */
export function poll<T>(
    what: string,
    probe: () => Promise<T | undefined>,
    ms = 10_000,
): Promise<T> {
    return pollEvery(what, probe, ms, 25);
}

export async function invocation(
    commandId: string,
    instanceId: string,
    pluginName?: string,
): Promise<GetCommandInvocationCommandOutput> {
    return ssm().send(
        new GetCommandInvocationCommand({
            CommandId: commandId,
            InstanceId: instanceId,
            PluginName: pluginName,
        }),
    );
}

/** Waits for the invocation to reach a terminal status and returns it. */
export async function finished(
    commandId: string,
    instanceId: string,
    ms = 10_000,
): Promise<GetCommandInvocationCommandOutput> {
    return poll(
        `command ${commandId} on ${instanceId}`,
        async () => {
            const out = await invocation(commandId, instanceId);
            return TERMINAL.has(out.Status ?? "") ? out : undefined;
        },
        ms,
    );
}

/** Sends AWS-RunShellScript with these lines to one instance; returns the command id. */
export async function runShell(
    instanceId: string,
    commands: string[],
    extra: Partial<SendCommandCommandInput> & { executionTimeout?: string } = {},
): Promise<string> {
    const { executionTimeout, ...input } = extra;
    const parameters: Record<string, string[]> = { commands };
    if (executionTimeout !== undefined) parameters.executionTimeout = [executionTimeout];
    const { Command } = await ssm().send(
        new SendCommandCommand({
            DocumentName: "AWS-RunShellScript",
            InstanceIds: [instanceId],
            Parameters: parameters,
            ...input,
        }),
    );
    return Command!.CommandId!;
}

describe("SSM test fixtures", () => {
    beforeEach(() => emulator().reset());

    it("launch a managed Linux instance that is Online under the instant profile", async () => {
        const instanceId = await managedInstance();
        assert.match(instanceId, /^i-[0-9a-f]+$/);
        assert.equal(await pingStatus(instanceId), "Online");
    });
});
