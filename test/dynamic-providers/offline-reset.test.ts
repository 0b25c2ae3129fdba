/**
 * The whole reset through the host-loaded providers, against the emulator with a real XFS root
 * volume (sharing the helper's XFS UUID) on a loop device: the generated key's private half is
 * only in Parameter Store, and its public half is what the volume's authorized_keys now holds.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { EC2Client } from "@aws-sdk/client-ec2";
import { IAMClient } from "@aws-sdk/client-iam";
import { CreateDocumentCommand, GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { GeneratedSshKey } from "../../dynamic-providers/generated-ssh-key";
import { StopTarget } from "../../dynamic-providers/stop-target";
import { ReleaseTarget } from "../../dynamic-providers/release-target";
import { RootVolumeToHelper } from "../../dynamic-providers/root-volume-to-helper";
import { OfflineReset } from "../../dynamic-providers/offline-reset";
import { resetDocumentContent } from "../../lib/linux-document";
import { TargetContext } from "../../lib/target-context";
import { emulator } from "../hooks";
import {
    contextOf,
    createHelper,
    createTarget,
    REGION,
    targetShape,
    wholeShape,
} from "../../rehearsal/targets";
import { hostedProvider } from "../../harness/serialized-provider";
import { EC2_USER, TargetVolume } from "../../rehearsal/target-volume";
import { requireCapability } from "../support/requirements";

type Provider = pulumi.dynamic.ResourceProvider;
const DOCUMENT = "ec2-reset-access-test-reset";

describe("SSH key reset (host-loaded providers, real XFS volume)", function () {
    const ec2 = new EC2Client({});
    const ssm = new SSMClient({});
    let providers: Record<"key" | "hold" | "move" | "reset" | "release", Provider>;
    let volume: TargetVolume;
    let ctx: TargetContext;
    let helperId: string;

    before(async function () {
        requireCapability(this, "loop-devices", "xfsprogs", "openssh-client");
        const context = {} as TargetContext;
        const step = { context, rotation: "1", resetDigest: "d1", helperInstanceId: "i-0" };
        providers = {
            key: await hostedProvider(
                () =>
                    new GeneratedSshKey("key", {
                        instanceId: "i-0",
                        parameterName: "/x",
                        keyType: "ed25519",
                        rotation: "1",
                        region: REGION,
                        platform: "linux",
                    }),
            ),
            hold: await hostedProvider(() => new StopTarget("hold", step)),
            move: await hostedProvider(() => new RootVolumeToHelper("move", step)),
            reset: await hostedProvider(
                () =>
                    new OfflineReset("reset", {
                        ...step,
                        documentName: "d",
                        publicKey: "k",
                        users: "auto",
                    }),
            ),
            release: await hostedProvider(() => new ReleaseTarget("release", step)),
        };
    });

    beforeEach(async () => {
        await emulator().reset();
        volume = new TargetVolume();
        volume.mountHelperLookalike();
        ctx = contextOf(await createTarget(ec2));
        helperId = (await createHelper(ec2, new IAMClient({}))).InstanceId!;
        await emulator().control("POST", "/disks", {
            volumeId: ctx.rootVolumeId,
            path: volume.imagePath,
        });
        await ssm.send(
            new CreateDocumentCommand({
                Name: DOCUMENT,
                DocumentType: "Command",
                DocumentFormat: "JSON",
                Content: resetDocumentContent(),
            }),
        );
    });

    afterEach(async () => {
        await emulator().reset(); // releases the loop devices before the images go
        volume?.cleanup();
    });

    async function resetWith(publicKey: string) {
        const step = { context: ctx, rotation: "1", resetDigest: "d1", helperInstanceId: helperId };
        await providers.hold.create!(step);
        await providers.move.create!(step);
        const { outs } = await providers.reset.create!({
            ...step,
            documentName: DOCUMENT,
            publicKey,
            users: "auto",
        });
        await providers.release.create!(step);
        return outs;
    }

    it("installs a generated key whose private half is only in Parameter Store", async () => {
        const parameterName = `/ec2rl/openssh/${ctx.instanceId}/key`;
        const { outs: key } = await providers.key.create!({
            instanceId: ctx.instanceId,
            parameterName,
            keyType: "ed25519",
            rotation: "1",
            region: REGION,
        });
        assert.doesNotMatch(
            JSON.stringify(key),
            /PRIVATE KEY/,
            "the private key is not in the outputs (Pulumi state)",
        );
        const outs = await resetWith(key.publicKey);
        // deploy already has authorized_keys on the fixture volume: it gets the key too
        assert.deepEqual(outs.usersUpdated, [EC2_USER.name, "deploy"]);
        assert.equal(outs.filesystem, "xfs");

        const keys = volume.readFile(`home/${EC2_USER.name}/.ssh/authorized_keys`);
        assert.ok(keys, "authorized_keys was created");
        assert.deepEqual(
            { uid: keys.uid, gid: keys.gid, mode: keys.mode },
            { uid: EC2_USER.uid, gid: EC2_USER.gid, mode: 0o600 },
        );
        const stored = await ssm.send(
            new GetParameterCommand({ Name: parameterName, WithDecryption: true }),
        );
        assert.equal(stored.Parameter!.Type, "SecureString");
        const derived = publicKeyOf(stored.Parameter!.Value!);
        assert.equal(
            keys.content.trim().split("\n").pop()!.split(" ").slice(0, 2).join(" "),
            derived,
        );
        assert.deepEqual(await targetShape(ec2, ctx), wholeShape(ctx));
    });

    it("fails with the script's result and last lines when no user can log in, and repairs the target", async () => {
        const step = { context: ctx, rotation: "1", resetDigest: "d1", helperInstanceId: helperId };
        await providers.hold.create!(step);
        await providers.move.create!(step);
        const own =
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHqLQ8lN6pLTn3YjzGhIhGgYkE1bGfO5rWbX3cA1zZxk me@laptop";
        await assert.rejects(
            providers.reset.create!({
                ...step,
                documentName: DOCUMENT,
                publicKey: own,
                users: "nosuchuser",
            }),
            (err: Error) => {
                assert.match(
                    err.message,
                    /^step "reset access offline" failed for i-\w+: the reset script ended Failed \(exit code [1-9]\d*, command [\w-]+\)/,
                );
                assert.match(
                    err.message,
                    /result: \{.*"status":"error".*"reason":"no such user in the volume's \/etc\/passwd"/,
                );
                assert.match(err.message, /last output lines:/);
                assert.match(err.message, /The instance is whole again/);
                return true;
            },
        );
        assert.deepEqual(await targetShape(ec2, ctx), wholeShape(ctx));
    });
});

/** What `ssh-keygen -y` derives from the private key: "type base64". */
function publicKeyOf(privateKey: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reset-key-"));
    try {
        const file = path.join(dir, "id");
        fs.writeFileSync(file, privateKey, { mode: 0o600 });
        return execFileSync("ssh-keygen", ["-y", "-f", file], { encoding: "utf8" })
            .trim()
            .split(" ")
            .slice(0, 2)
            .join(" ");
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
