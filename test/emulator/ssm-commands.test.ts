/** Run Command with AWS-RunShellScript: exact targeting, real scripts, their output and status. */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { StopInstancesCommand } from "@aws-sdk/client-ec2";
import {
    CancelCommandCommand,
    ListCommandInvocationsCommand,
    ListCommandsCommand,
    SendCommandCommand,
} from "@aws-sdk/client-ssm";
import { emulator } from "../hooks";
import {
    ec2,
    finished,
    instanceProfile,
    instantProfile,
    invocation,
    launchWithProfile,
    managedInstance,
    poll,
    removeTempDirs,
    runShell,
    ssm,
    tempDir,
    useProfile,
} from "./ssm-support.test";

describe("SSM Run Command (AWS-RunShellScript)", () => {
    beforeEach(() => emulator().reset());
    afterEach(async () => {
        await instantProfile();
        removeTempDirs();
    });

    it("targets exactly the InstanceIds given, not every instance in the region", async () => {
        const [a, b, c] = await launchWithProfile(await instanceProfile(), 3);
        const commandId = await runShell(b, ["echo on $AWS_SSM_INSTANCE_ID"]);
        assert.equal((await finished(commandId, b)).StandardOutputContent, `on ${b}\n`);

        const { CommandInvocations } = await ssm().send(
            new ListCommandInvocationsCommand({ CommandId: commandId }),
        );
        assert.deepEqual(
            CommandInvocations!.map((i) => i.InstanceId),
            [b],
        );
        const { Commands } = await ssm().send(new ListCommandsCommand({ CommandId: commandId }));
        assert.deepEqual(
            { ...Commands![0], RequestedDateTime: undefined, ExpiresAfter: undefined },
            {
                CommandId: commandId,
                DocumentName: "AWS-RunShellScript",
                DocumentVersion: "",
                Comment: "",
                ExpiresAfter: undefined,
                Parameters: { commands: ["echo on $AWS_SSM_INSTANCE_ID"] },
                InstanceIds: [b],
                Targets: [],
                RequestedDateTime: undefined,
                Status: "Success",
                StatusDetails: "Success",
                OutputS3Region: "us-east-1",
                OutputS3BucketName: "",
                OutputS3KeyPrefix: "",
                MaxConcurrency: "50",
                MaxErrors: "0",
                TargetCount: 1,
                CompletedCount: 1,
                ErrorCount: 0,
                DeliveryTimedOutCount: 0,
                ServiceRole: "",
                NotificationConfig: {
                    NotificationArn: "",
                    NotificationEvents: [],
                    NotificationType: "",
                },
                CloudWatchOutputConfig: {
                    CloudWatchLogGroupName: "",
                    CloudWatchOutputEnabled: false,
                },
                TimeoutSeconds: 3600,
            },
        );
        await assert.rejects(invocation(commandId, a), { name: "InvocationDoesNotExist" });
        await assert.rejects(invocation(commandId, c), { name: "InvocationDoesNotExist" });
    });

    it("rejects an unknown instance, or one that is not SSM-managed, with InvalidInstanceId", async () => {
        const managed = await managedInstance();
        const [unmanaged] = await launchWithProfile(await instanceProfile(false));
        for (const ids of [
            [managed, unmanaged],
            [managed, "i-0123456789abcdef0"],
        ]) {
            await assert.rejects(
                ssm().send(
                    new SendCommandCommand({
                        DocumentName: "AWS-RunShellScript",
                        InstanceIds: ids,
                        Parameters: { commands: ["true"] },
                    }),
                ),
                (err: Error) => err.name === "InvalidInstanceId" && err.message.includes(ids[1]),
            );
        }
        const { Commands } = await ssm().send(new ListCommandsCommand({}));
        assert.deepEqual(Commands, []);
    });

    it("runs the script for real: stdout, stderr, exit code as ResponseCode, times", async () => {
        const instanceId = await managedInstance();
        const ok = await finished(
            await runShell(instanceId, ["echo hello", "echo warn >&2", "pwd"]),
            instanceId,
        );
        assert.equal(ok.Status, "Success");
        assert.equal(ok.StatusDetails, "Success");
        assert.equal(ok.ResponseCode, 0);
        assert.equal(ok.PluginName, "aws:runShellScript");
        const [hello, cwd] = ok.StandardOutputContent!.split("\n");
        assert.equal(hello, "hello");
        assert.ok(fs.existsSync(cwd), `default working directory ${cwd} does not exist`);
        assert.equal(ok.StandardErrorContent, "warn\n");
        assert.match(ok.ExecutionStartDateTime!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        assert.ok(Date.parse(ok.ExecutionEndDateTime!) >= Date.parse(ok.ExecutionStartDateTime!));
        assert.match(ok.ExecutionElapsedTime!, /^PT\d+\.\d{3}S$/);

        const failed = await finished(
            await runShell(instanceId, ["echo partial", "echo broken >&2", "exit 3"]),
            instanceId,
        );
        assert.deepEqual(
            [
                failed.Status,
                failed.StatusDetails,
                failed.ResponseCode,
                failed.StandardOutputContent,
                failed.StandardErrorContent,
            ],
            ["Failed", "Failed", 3, "partial\n", "broken\n\nfailed to run commands: exit status 3"],
        );
        const { Commands } = await ssm().send(new ListCommandsCommand({}));
        assert.deepEqual(
            Commands!.map((c) => [c.Status, c.ErrorCount]),
            [
                ["Failed", 1],
                ["Success", 0],
            ],
        );
    });

    it("runs in workingDirectory when given", async () => {
        const instanceId = await managedInstance();
        const dir = tempDir("ssm-wd-");
        const { Command } = await ssm().send(
            new SendCommandCommand({
                DocumentName: "AWS-RunShellScript",
                InstanceIds: [instanceId],
                Parameters: { commands: ["pwd"], workingDirectory: [dir] },
            }),
        );
        assert.equal(
            (await finished(Command!.CommandId!, instanceId)).StandardOutputContent,
            `${dir}\n`,
        );
    });

    it("truncates StandardOutputContent at 24,000 characters and StandardErrorContent at 8,000", async () => {
        const instanceId = await managedInstance();
        const out = await finished(
            await runShell(instanceId, [
                "head -c 30000 /dev/zero | tr '\\0' a",
                "head -c 9000 /dev/zero | tr '\\0' b >&2",
            ]),
            instanceId,
        );
        assert.equal(out.Status, "Success");
        assert.equal(out.StandardOutputContent, "a".repeat(24_000));
        assert.equal(out.StandardErrorContent, "b".repeat(8_000));
        const { CommandInvocations } = await ssm().send(
            new ListCommandInvocationsCommand({ CommandId: out.CommandId, Details: true }),
        );
        const output = CommandInvocations![0].CommandPlugins![0].Output!;
        assert.ok(output.length <= 2_500, `plugin Output is ${output.length} characters`);
        assert.match(
            output,
            /^a+\n---Output truncated---\n----------ERROR-------\nb+\n---Error truncated----$/,
        );
    });

    it("ends TimedOut (ExecutionTimedOut, 137) after executionTimeout and kills the whole process group", async () => {
        const instanceId = await managedInstance();
        const pidFile = path.join(tempDir("ssm-pid-"), "pid");
        const started = Date.now();
        const commandId = await runShell(
            instanceId,
            ["echo before", `sleep 60 & echo $! > ${pidFile}`, "sleep 60"],
            { executionTimeout: "1" },
        );
        const out = await finished(commandId, instanceId);
        assert.deepEqual(
            [out.Status, out.StatusDetails, out.ResponseCode, out.StandardOutputContent],
            ["TimedOut", "ExecutionTimedOut", 137, "before\n"],
        );
        assert.ok(Date.now() - started < 5_000);
        const pid = Number(fs.readFileSync(pidFile, "utf8"));
        await poll("background sleep to die", async () => (isAlive(pid) ? undefined : true), 2_000);
        const { Commands } = await ssm().send(new ListCommandsCommand({ CommandId: commandId }));
        assert.deepEqual(
            [Commands![0].Status, Commands![0].StatusDetails],
            ["TimedOut", "ExecutionTimedOut"],
        );
    });

    it("rejects an executionTimeout that fails AWS-RunShellScript's allowedPattern with InvalidParameters", async () => {
        const instanceId = await managedInstance();
        for (const bad of ["0", "172801", "10s", "1 "]) {
            await assert.rejects(
                runShell(instanceId, ["true"], { executionTimeout: bad }),
                (err: Error) =>
                    err.name === "InvalidParameters" &&
                    err.message.includes("executionTimeout") &&
                    err.message.includes(bad),
            );
        }
        await assert.rejects(
            ssm().send(
                new SendCommandCommand({
                    DocumentName: "AWS-RunShellScript",
                    InstanceIds: [instanceId],
                    Parameters: {},
                }),
            ),
            (err: Error) => err.name === "InvalidParameters" && err.message.includes("commands"),
        );
    });

    it("stays Pending until delivered: command.delivery after SendCommand", async () => {
        await useProfile({ "command.delivery": 40 }, 0.01); // 0.4 s
        const instanceId = await managedInstance();
        const commandId = await runShell(instanceId, ["echo delivered"]);
        const pending = await invocation(commandId, instanceId);
        assert.deepEqual(
            [pending.Status, pending.ResponseCode, pending.ExecutionStartDateTime],
            ["Pending", -1, ""],
        );
        const out = await finished(commandId, instanceId);
        assert.equal(out.StandardOutputContent, "delivered\n");
        const waited =
            Date.parse(out.ExecutionStartDateTime!) - Date.parse(await requested(commandId));
        assert.ok(waited >= 350, `started ${waited} ms after it was sent`);
    });

    it("ends DeliveryTimedOut when the instance is not Online before TimeoutSeconds", async () => {
        const instanceId = await managedInstance();
        await ec2().send(new StopInstancesCommand({ InstanceIds: [instanceId] })); // ConnectionLost
        await useProfile({}, 0.01); // TimeoutSeconds 30 -> 0.3 s
        const commandId = await runShell(instanceId, ["echo never"], { TimeoutSeconds: 30 });
        assert.equal((await invocation(commandId, instanceId)).Status, "Pending");
        const out = await finished(commandId, instanceId);
        assert.deepEqual(
            [
                out.Status,
                out.StatusDetails,
                out.ResponseCode,
                out.StandardOutputContent,
                out.ExecutionStartDateTime,
            ],
            ["TimedOut", "DeliveryTimedOut", -1, "", ""],
        );
        const { Commands } = await ssm().send(new ListCommandsCommand({ CommandId: commandId }));
        assert.deepEqual(
            [
                Commands![0].Status,
                Commands![0].StatusDetails,
                Commands![0].DeliveryTimedOutCount,
                Commands![0].ErrorCount,
            ],
            ["TimedOut", "DeliveryTimedOut", 1, 0],
        );
    });

    it("CancelCommand kills a running script: Cancelled", async () => {
        const instanceId = await managedInstance();
        const commandId = await runShell(instanceId, ["echo started", "sleep 60"]);
        await poll("InProgress", async () =>
            (await invocation(commandId, instanceId)).Status === "InProgress" ? true : undefined,
        );
        await ssm().send(new CancelCommandCommand({ CommandId: commandId }));
        const out = await finished(commandId, instanceId);
        assert.deepEqual([out.Status, out.ResponseCode], ["Cancelled", 137]);
        const { Commands } = await ssm().send(new ListCommandsCommand({ CommandId: commandId }));
        assert.equal(Commands![0].Status, "Cancelled");
    });

    it("reports CommandPlugins with Details in ListCommandInvocations", async () => {
        const instanceId = await managedInstance();
        const commandId = await runShell(instanceId, ["echo out", "echo err >&2", "exit 1"], {
            Comment: "details",
        });
        await finished(commandId, instanceId);
        const { CommandInvocations } = await ssm().send(
            new ListCommandInvocationsCommand({ CommandId: commandId, Details: true }),
        );
        const [inv] = CommandInvocations!;
        assert.deepEqual(
            [inv.Status, inv.StatusDetails, inv.Comment, inv.DocumentName],
            ["Failed", "Failed", "details", "AWS-RunShellScript"],
        );
        const [plugin] = inv.CommandPlugins!;
        assert.deepEqual(
            [plugin.Name, plugin.Status, plugin.ResponseCode, plugin.Output],
            [
                "aws:runShellScript",
                "Failed",
                1,
                "out\n\n----------ERROR-------\nerr\n\nfailed to run commands: exit status 1",
            ],
        );
        assert.ok(
            plugin.ResponseStartDateTime instanceof Date &&
                plugin.ResponseFinishDateTime instanceof Date,
        );
        const brief = await ssm().send(new ListCommandInvocationsCommand({ CommandId: commandId }));
        assert.deepEqual(brief.CommandInvocations![0].CommandPlugins, []);
        await assert.rejects(
            ssm().send(
                new ListCommandInvocationsCommand({
                    CommandId: "00000000-0000-0000-0000-000000000000",
                }),
            ),
            { name: "InvalidCommandId" },
        );
    });
});

async function requested(commandId: string): Promise<string> {
    const { Commands } = await ssm().send(new ListCommandsCommand({ CommandId: commandId }));
    return Commands![0].RequestedDateTime!.toISOString();
}

function isAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
}
