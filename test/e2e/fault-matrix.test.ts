/**
 * A fault at every step — an AWS API error, and the process killed between or during steps —
 * then `destroy`: the target is whole (root volume at its device with its DeleteOnTermination,
 * its state as before, no journal tag) and nothing temporary is left. After an API error the
 * target is whole already before destroy: `up` repairs it before reporting. Prints the table.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EC2Client } from "@aws-sdk/client-ec2";
import { destroy } from "../../harness/deployment";
import { emulator } from "../hooks";
import { describeFault, Fault, faultyUp, printTable, temporary } from "../support/fault-matrix";
import { contextOf, createTarget, targetShape, wholeShape } from "../../rehearsal/targets";
import { inventory, Inventory } from "../../harness/inventory";
import { TargetVolume } from "../../rehearsal/target-volume";
import { E2E_TIME_SCALE, useRealisticEmulation } from "../support/realistic-emulation";
import { TargetContext } from "../../lib/target-context";
import { RESET_DOCUMENT_NAMES } from "../../lib/command-document";

/** A Linux case may also make the reset script exit 1 (a command fault: the script does not run). */
type LinuxFault = Fault & { commandFails?: boolean };

const FAULTS: LinuxFault[] = [
    {
        step: "preflight",
        kind: "API error",
        error: { operation: "DescribeInstanceAttribute", code: "UnauthorizedOperation" },
        touches: false,
    },
    {
        step: "helper launch",
        kind: "API error",
        error: { operation: "RunInstances", code: "InsufficientInstanceCapacity" },
        touches: false,
    },
    {
        step: "stop",
        kind: "API error",
        error: { operation: "StopInstances", code: "IncorrectInstanceState" },
        touches: true,
    },
    {
        step: "backup",
        kind: "API error",
        error: { operation: "CreateImage", code: "InvalidParameterValue" },
        touches: true,
    },
    {
        step: "move root",
        kind: "API error",
        error: { operation: "AttachVolume", code: "VolumeInUse" },
        touches: true,
    },
    // SendCommand #1 is the helper-ready probe (before the target is touched), #2 the reset's.
    {
        step: "run command",
        kind: "API error",
        error: { operation: "SendCommand", code: "InvalidInstanceId", nth: 2 },
        touches: true,
    },
    { step: "run command", kind: "API error", commandFails: true, touches: true },
    {
        step: "release",
        kind: "API error",
        error: { operation: "AttachVolume", code: "InvalidParameterValue", nth: 2 },
        touches: true,
    },
    {
        step: "stop",
        kind: "killed during",
        killOnCall: { operation: "StopInstances" },
        touches: true,
    },
    { step: "stop", kind: "killed after", killAfter: "reset-stop", touches: true },
    {
        step: "backup",
        kind: "killed during",
        killOnCall: { operation: "CreateImage" },
        touches: true,
    },
    { step: "backup", kind: "killed after", killAfter: "reset-backup", touches: true },
    {
        step: "move root",
        kind: "killed during",
        killOnCall: { operation: "AttachVolume", nth: 1 },
        touches: true,
    },
    { step: "move root", kind: "killed after", killAfter: "reset-move-root", touches: true },
    {
        step: "run command",
        kind: "killed during",
        killOnCall: { operation: "SendCommand", nth: 2 },
        touches: true,
    },
    { step: "run command", kind: "killed after", killAfter: "reset-reset", touches: true },
    {
        step: "release",
        kind: "killed during",
        killOnCall: { operation: "AttachVolume", nth: 2 },
        touches: true,
    },
];

describe("a fault at every step, then destroy", function () {
    this.timeout(600_000);
    const ec2 = new EC2Client({});
    const results: Array<{ fault: LinuxFault; ok: boolean }> = [];
    let volume: TargetVolume;
    let dir: string;

    useRealisticEmulation(E2E_TIME_SCALE);

    beforeEach(() => {
        volume = new TargetVolume();
        volume.mountHelperLookalike();
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "fault-matrix-"));
    });

    afterEach(() => {
        volume?.cleanup();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    after(() => printTable("Target after the fault and destroy (steps × faults)", results));

    for (const fault of FAULTS) {
        const what = fault.commandFails ? "the script exits 1" : describeFault(fault);
        it(`${fault.step}: ${fault.kind} (${what})`, async () => {
            let ok = false;
            try {
                const { ctx, before } = await prepareTarget();
                if (fault.commandFails)
                    await emulator().control("POST", "/command-faults", {
                        documentName: RESET_DOCUMENT_NAMES,
                        exitCode: 1,
                        stdout: "injected failure\n",
                        stderr: "disk on fire\n",
                    });
                const state = await faultyUp(fault, ctx, dir);
                await destroy(state);
                assert.deepEqual(
                    await targetShape(ec2, ctx),
                    wholeShape(ctx),
                    "the target is whole after destroy",
                );
                assert.deepEqual(
                    temporary(await inventory()),
                    temporary(before),
                    "nothing temporary is left",
                );
                ok = true;
            } finally {
                results.push({ fault, ok });
            }
        });
    }

    async function prepareTarget(): Promise<{ ctx: TargetContext; before: Inventory }> {
        const ctx = contextOf(await createTarget(ec2));
        await emulator().control("POST", "/disks", {
            volumeId: ctx.rootVolumeId,
            path: volume.imagePath,
        });
        return { ctx, before: await inventory() };
    }
});
