/** Typed errors of waits and describe helpers: callers tell them apart by name, not by text. */
import * as assert from "node:assert/strict";
import { EC2Client } from "@aws-sdk/client-ec2";
import { isNotFound, NotFound } from "../../lib/aws-errors";
import { describeInstance } from "../../lib/ec2-instance";
import { describeVolume } from "../../lib/ec2-volume";
import { isWaitTimeout, waitFor, WaitTimeout } from "../../lib/waits";

/** An EC2 client whose every describe answers with an empty list, as AWS may for a vanished id. */
const emptyEc2 = { send: async () => ({ Reservations: [], Volumes: [] }) } as unknown as EC2Client;

describe("waits and describe helpers: typed errors", () => {
    it("waitFor throws a WaitTimeout naming what it waited for when the deadline passes", async () => {
        const err = await waitFor(
            { what: "nothing", deadlineSeconds: 0.05, intervalSeconds: 0.01 },
            async () => undefined,
        ).then(
            () => undefined,
            (e: unknown) => e,
        );
        assert.ok(err instanceof WaitTimeout);
        assert.equal((err as WaitTimeout).name, "WaitTimeout");
        assert.equal((err as WaitTimeout).what, "nothing");
        assert.ok(isWaitTimeout(err));
    });

    it("waitFor passes on what the poll throws, which is not a WaitTimeout", async () => {
        const terminal = new Error("i-1 is terminated while waiting for it to be stopped");
        const err = await waitFor({ what: "i-1 to stop", deadlineSeconds: 5 }, async () => {
            throw terminal;
        }).then(
            () => undefined,
            (e: unknown) => e,
        );
        assert.equal(err, terminal);
        assert.equal(isWaitTimeout(err), false);
    });

    it("a WaitTimeout is recognised by its name alone (a serialized provider has its own class)", () => {
        const copy = Object.assign(new Error("any text"), { name: "WaitTimeout" });
        assert.ok(isWaitTimeout(copy));
        assert.equal(isWaitTimeout(new Error("timed out after 5 s waiting for x")), false);
    });

    it("describeInstance and describeVolume throw NotFound on an empty answer", async () => {
        for (const call of [
            describeInstance(emptyEc2, "i-0gone"),
            describeVolume(emptyEc2, "vol-0gone"),
        ]) {
            const err = await call.then(
                () => undefined,
                (e: unknown) => e,
            );
            assert.ok(err instanceof NotFound);
            assert.ok(isNotFound(err));
        }
        assert.equal(isNotFound(new Error("instance i-1 not found")), false);
    });
});
