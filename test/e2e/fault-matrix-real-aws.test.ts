/**
 * The fault matrix, extended with what real AWS does and the emulator now shows (Linux path):
 * - a throttling burst (3 in a row) at every step, in one run: the reset completes with no repair;
 * - a second fault during the repair of a first, at every step: `up` reports that the repair
 *   failed too, then `destroy` completes it;
 * - a helper whose SSM agent never registers: `up` fails before the target is touched;
 * - no capacity on restart (InsufficientInstanceCapacity on the first 3 starts): the reset completes;
 * - the target terminated before `destroy` (after a killed `up` left its volume on the helper):
 *   `destroy` completes and keeps the volume.
 * The throttling bursts of every step share one run, to keep the CI cost bounded; the second
 * fault during the repair has a cell per step.
 * The target is whole in every cell (gone in the last, its volume kept) and nothing temporary
 * remains after destroy. Prints the table.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
    DescribeVolumesCommand,
    EC2Client,
    TerminateInstancesCommand,
    waitUntilInstanceTerminated,
} from "@aws-sdk/client-ec2";
import { deploy, destroy } from "../../harness/deployment";
import { inventory, Inventory } from "../../harness/inventory";
import { TargetContext } from "../../lib/target-context";
import { contextOf, createTarget, targetShape, wholeShape } from "../../rehearsal/targets";
import { TargetVolume } from "../../rehearsal/target-volume";
import { emulator } from "../hooks";
import { faultyUp, printTable, temporary } from "../support/fault-matrix";
import { E2E_TIME_SCALE, useRealisticEmulation } from "../support/realistic-emulation";
import resetAccessProgram = require("../../index");

const KINDS = [
    "throttling burst",
    "second fault during repair",
    "never registers",
    "no capacity on restart",
    "terminated before destroy",
];
/** The call of each step that a burst hits (SendCommand #1 is the helper-ready probe, #2 the reset's). */
const BURST_AT: Record<string, { operation: string; nth?: number }> = {
    stop: { operation: "StopInstances" },
    backup: { operation: "CreateImage" },
    "move root": { operation: "AttachVolume" },
    "run command": { operation: "SendCommand", nth: 2 },
    release: { operation: "StartInstances" },
};
const BURST_OPERATIONS = Object.values(BURST_AT).map((b) => b.operation);

describe("faults of real AWS at every step, then destroy", function () {
    this.timeout(600_000);
    const ec2 = new EC2Client({});
    const results: Array<{ fault: { step: string; kind: string }; ok: boolean }> = [];
    let volume: TargetVolume;
    let dir: string;

    useRealisticEmulation(E2E_TIME_SCALE);

    beforeEach(() => {
        volume = new TargetVolume();
        volume.mountHelperLookalike();
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "fault-matrix-aws-"));
    });

    afterEach(() => {
        volume?.cleanup();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    after(() =>
        printTable("Target after real-AWS faults and destroy (steps × faults)", results, KINDS),
    );

    /** Runs a case, recording one cell per step it covers. */
    const cell = (
        title: string,
        cells: Array<{ step: string; kind: string }>,
        body: () => Promise<void>,
    ) =>
        it(title, async () => {
            let ok = false;
            try {
                await body();
                ok = true;
            } finally {
                for (const c of cells) results.push({ fault: c, ok });
            }
        });

    cell(
        "a throttling burst of 3 at every step: the reset completes with no repair",
        Object.keys(BURST_AT).map((step) => ({ step, kind: "throttling burst" })),
        async () => {
            const { ctx, before, config } = await prepareTarget();
            for (const burst of Object.values(BURST_AT)) {
                await emulator().control("POST", "/faults", {
                    ...burst,
                    kind: "throttle",
                    times: 3,
                });
            }
            const up = await deploy(resetAccessProgram, { config });
            assert.equal(up.error, undefined, up.error?.message);
            const throttled = (await emulator().calls()).filter((c) =>
                BURST_OPERATIONS.includes(c.operation),
            );
            for (const operation of BURST_OPERATIONS) {
                assert.ok(
                    throttled.filter((c) => c.operation === operation).length >= 4,
                    `${operation} was not retried through its burst`,
                );
            }
            assert.deepEqual(await targetShape(ec2, ctx), wholeShape(ctx));
            await destroyAndCheck(up.state, ctx, before);
        },
    );

    /**
     * A first fault at each step, then a second one on the call its repair makes next: DeleteTags
     * when the target was never stopped, StartInstances when it was, AttachVolume when the root
     * volume must come back (armed only once the first has answered: `afterInjected`).
     */
    const SECOND_FAULTS: Array<{
        step: string;
        first: { operation: string; code: string; nth?: number };
        second: { operation: string; code: string };
    }> = [
        {
            step: "stop",
            first: { operation: "StopInstances", code: "UnauthorizedOperation" },
            second: { operation: "DeleteTags", code: "UnauthorizedOperation" },
        },
        {
            step: "backup",
            first: { operation: "CreateImage", code: "InvalidParameterValue" },
            second: { operation: "StartInstances", code: "UnauthorizedOperation" },
        },
        {
            step: "move root",
            first: { operation: "AttachVolume", code: "VolumeInUse", nth: 1 },
            second: { operation: "AttachVolume", code: "IncorrectState" },
        },
        {
            step: "run command",
            first: { operation: "SendCommand", code: "InvalidInstanceId", nth: 2 },
            second: { operation: "AttachVolume", code: "IncorrectState" },
        },
        {
            step: "release",
            first: { operation: "AttachVolume", code: "VolumeInUse", nth: 2 },
            second: { operation: "AttachVolume", code: "IncorrectState" },
        },
    ];

    for (const { step, first, second } of SECOND_FAULTS) {
        cell(
            `${step}: ${first.operation} fails, then ${second.operation} during the repair: up says so, destroy completes the repair`,
            [{ step, kind: "second fault during repair" }],
            async () => {
                const { ctx, before, config } = await prepareTarget();
                await emulator().control("POST", "/faults", {
                    ...first,
                    message: "injected fault",
                });
                await emulator().control("POST", "/faults", {
                    ...second,
                    message: "injected fault during the repair",
                    afterInjected: true,
                });
                const up = await deploy(resetAccessProgram, { config });
                assert.ok(up.error, "up fails");
                assert.match(
                    up.error.message,
                    new RegExp(`^step ".+" failed for ${ctx.instanceId}: `),
                );
                assert.match(
                    up.error.message,
                    /Repairing the instance failed too \(.*\): run `pulumi destroy` to retry the repair\./,
                );
                assert.notDeepEqual(
                    await targetShape(ec2, ctx),
                    wholeShape(ctx),
                    "the second fault left the repair unfinished",
                );
                await destroyAndCheck(up.state, ctx, before);
            },
        );
    }

    cell(
        "a helper whose agent never registers: up fails before the target is touched",
        [{ step: "helper ready", kind: "never registers" }],
        async () => {
            const { ctx, before, config } = await prepareTarget();
            await emulator().control("POST", "/ssm-agent-faults", {
                tagKey: "ec2-reset-access:helper-for",
            });
            const up = await deploy(resetAccessProgram, { config });
            assert.match(
                up.error?.message ?? "",
                /did not become ready[\s\S]*Nothing on the target was touched/,
            );
            assert.deepEqual(await targetShape(ec2, ctx), wholeShape(ctx));
            await emulator().control("DELETE", "/ssm-agent-faults");
            await destroyAndCheck(up.state, ctx, before);
        },
    );

    cell(
        "no capacity on restart (InsufficientInstanceCapacity on the first 3 starts): retried, the reset completes",
        [{ step: "release", kind: "no capacity on restart" }],
        async () => {
            const { ctx, before, config } = await prepareTarget();
            await emulator().control("POST", "/faults", {
                operation: "StartInstances",
                code: "InsufficientInstanceCapacity",
                times: 3,
                params: { "InstanceId.1": ctx.instanceId },
            });
            const up = await deploy(resetAccessProgram, { config });
            assert.equal(up.error, undefined, up.error?.message);
            assert.ok(
                up.diagnostics.some((d) => /no capacity to start .* attempt 3/.test(d.message)),
                "the retries are reported",
            );
            assert.deepEqual(await targetShape(ec2, ctx), wholeShape(ctx));
            await destroyAndCheck(up.state, ctx, before);
        },
    );

    cell(
        "the target terminated before destroy (killed after the move): destroy completes, the root volume is kept",
        [{ step: "move root", kind: "terminated before destroy" }],
        async () => {
            const { ctx, before } = await prepareTarget();
            const state = await faultyUp(
                { step: "move root", kind: "killed after", killAfter: "reset-move-root" },
                ctx,
                dir,
            );
            await ec2.send(new TerminateInstancesCommand({ InstanceIds: [ctx.instanceId] }));
            await waitUntilInstanceTerminated(
                { client: ec2, maxWaitTime: 120, minDelay: 1 },
                { InstanceIds: [ctx.instanceId] },
            );
            const left = await destroy(state);
            assert.deepEqual(left.resources, []);
            const root = (
                await ec2.send(new DescribeVolumesCommand({ VolumeIds: [ctx.rootVolumeId] }))
            ).Volumes![0];
            assert.equal(
                root.State,
                "available",
                "the customer's root volume is kept, detached from the helper",
            );
            assert.ok(
                root.Tags?.some(
                    (t) =>
                        t.Key === "ec2-reset-access:root-of-terminated" &&
                        t.Value === ctx.instanceId,
                ),
            );
            const expected = {
                ...temporary(before),
                liveInstances: before.liveInstances.filter((id) => id !== ctx.instanceId),
            };
            assert.deepEqual(temporary(await inventory()), expected, "nothing temporary is left");
        },
    );

    async function prepareTarget(): Promise<{
        ctx: TargetContext;
        before: Inventory;
        config: Record<string, string>;
    }> {
        const ctx = contextOf(await createTarget(ec2));
        await emulator().control("POST", "/disks", {
            volumeId: ctx.rootVolumeId,
            path: volume.imagePath,
        });
        return {
            ctx,
            before: await inventory(),
            config: { "ec2-reset-access:instanceId": ctx.instanceId },
        };
    }

    async function destroyAndCheck(
        state: Parameters<typeof destroy>[0],
        ctx: TargetContext,
        before: Inventory,
    ): Promise<void> {
        await emulator().control("DELETE", "/faults");
        const left = await destroy(state);
        assert.deepEqual(left.resources, []);
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
    }
});
