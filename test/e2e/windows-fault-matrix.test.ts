/**
 * The fault matrix of test/e2e/fault-matrix.test.ts on the Windows path: an AWS API error or
 * the process killed at each step, including the password-enabled AMI between the volume's
 * return and the target's start, then `destroy`. The target is whole afterwards, nothing
 * temporary is left, and a password-enabled AMI exists only if the reset's script succeeded.
 * Where pwsh, ntfs-3g and loop devices are here the emulator runs the real script under pwsh on
 * an NTFS image behind the target's root volume; elsewhere the TypeScript stand-in answers
 * (test/support/windows-script.ts; each test prints which).
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EC2Client } from "@aws-sdk/client-ec2";
import { destroy } from "../../harness/deployment";
import { describeFault, Fault, faultyUp, printTable, temporary } from "../support/fault-matrix";
import { contextOf, createWindowsTarget, targetShape, wholeShape } from "../../rehearsal/targets";
import { inventory } from "../../harness/inventory";
import { scriptOnTarget } from "../support/windows-script";
import { E2E_TIME_SCALE, useRealisticEmulation } from "../support/realistic-emulation";

type WindowsFault = Fault & {
    /** The script refuses (a volume without Windows; exit 1) instead of succeeding. */
    scriptRefuses?: boolean;
    /** Whether a password-enabled AMI may exist afterwards (the script succeeded and CreateImage #2 was called). */
    passwordImageMayExist: boolean;
};

// CreateImage #1 is the backup, #2 the password-enabled AMI; AttachVolume #1 to the helper, #2 back.
const FAULTS: WindowsFault[] = [
    {
        step: "stop",
        kind: "API error",
        error: { operation: "StopInstances", code: "IncorrectInstanceState" },
        passwordImageMayExist: false,
    },
    {
        step: "backup",
        kind: "API error",
        error: { operation: "CreateImage", code: "InvalidParameterValue" },
        passwordImageMayExist: false,
    },
    {
        step: "move root (xvdf)",
        kind: "API error",
        error: { operation: "AttachVolume", code: "VolumeInUse" },
        passwordImageMayExist: false,
    },
    // SendCommand #1 is the helper-ready probe (before the target is touched), #2 the reset's.
    {
        step: "run command",
        kind: "API error",
        error: { operation: "SendCommand", code: "InvalidInstanceId", nth: 2 },
        passwordImageMayExist: false,
    },
    { step: "run command", kind: "API error", scriptRefuses: true, passwordImageMayExist: false },
    {
        step: "password-enabled AMI",
        kind: "API error",
        error: { operation: "CreateImage", code: "InvalidParameterValue", nth: 2 },
        passwordImageMayExist: false,
    },
    // Not InsufficientInstanceCapacity: the target's start retries it (test/e2e/fault-matrix-real-aws.test.ts).
    {
        step: "release",
        kind: "API error",
        error: { operation: "StartInstances", code: "UnauthorizedOperation" },
        passwordImageMayExist: true,
    },
    {
        step: "run command",
        kind: "killed during",
        killOnCall: { operation: "SendCommand", nth: 2 },
        passwordImageMayExist: false,
    },
    {
        step: "run command",
        kind: "killed after",
        killAfter: "reset-reset",
        passwordImageMayExist: false,
    },
    {
        step: "password-enabled AMI",
        kind: "killed during",
        killOnCall: { operation: "CreateImage", nth: 2 },
        passwordImageMayExist: true,
    },
    {
        step: "release",
        kind: "killed after",
        killAfter: "reset-release",
        passwordImageMayExist: true,
    },
];

describe("Windows: a fault at every step, then destroy", function () {
    this.timeout(600_000);
    const ec2 = new EC2Client({});
    const results: Array<{ fault: WindowsFault; ok: boolean }> = [];
    let dir: string;

    useRealisticEmulation(E2E_TIME_SCALE, { loopDevices: false });

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "windows-fault-matrix-"));
    });

    afterEach(() => {
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    after(() => printTable("Windows target after the fault and destroy (steps × faults)", results));

    for (const fault of FAULTS) {
        const what = fault.scriptRefuses ? "the script refuses" : describeFault(fault);
        it(`${fault.step}: ${fault.kind} (${what})`, async () => {
            let ok = false;
            try {
                const ctx = contextOf(
                    await createWindowsTarget(ec2, { version: "2019", keyName: undefined }),
                );
                const before = await inventory();
                await scriptOnTarget(
                    ctx.rootVolumeId,
                    fault.scriptRefuses ? "no Windows" : "EC2Config",
                    dir,
                );
                const state = await faultyUp(fault, ctx, dir);
                await destroy(state);
                assert.deepEqual(
                    await targetShape(ec2, ctx),
                    wholeShape(ctx),
                    "the target is whole after destroy",
                );
                const after = await inventory();
                assert.deepEqual(temporary(after), temporary(before), "nothing temporary is left");
                const passwordImages = after.images.filter((name) =>
                    name.includes("Password-enabled"),
                );
                if (!fault.passwordImageMayExist)
                    assert.deepEqual(
                        passwordImages,
                        [],
                        "no password-enabled AMI without a successful reset",
                    );
                ok = true;
            } finally {
                results.push({ fault, ok });
            }
        });
    }
});
