/**
 * The ResetAccess component for a Windows target, under Pulumi's mocks: the preflight reports
 * the platform, and the helper's image, the document, the reset step's inputs and the outputs
 * follow it; newKeyName adds a replacement instance that `pulumi destroy` leaves.
 */
import * as assert from "node:assert/strict";
import * as zlib from "node:zlib";
import * as fs from "node:fs";
import { HELPER_IMAGES, installMocks, promiseOf, TARGET } from "./mocks";
import { build, byName, STEP } from "./build";
import { ResetAccess } from "../../components/reset-access";
import { SCRIPT_PATH } from "../../lib/windows-document";
import { probeDocumentContent } from "../../lib/probe-document";

const windows = { platform: "windows" as const };

describe("ResetAccess for a Windows target, under mocks", () => {
    it("creates the same resources as for Linux: no replacement unless newKeyName is set", async () => {
        const { recorded } = await build({}, windows);
        const types = recorded.map((r) => `${r.type}::${r.name}`);
        assert.ok(types.includes(`${STEP("OfflineReset")}::reset-reset`));
        assert.ok(types.includes(`${STEP("ReleaseTarget")}::reset-release`));
        assert.equal(
            byName(recorded, "reset-probe-document", "aws:ssm/document:Document").inputs.content,
            probeDocumentContent(),
            "one probe document for both platforms (a step each)",
        );
        assert.equal(
            types.some((t) => t.endsWith("::reset-replacement")),
            false,
        );
    });

    it("launches the helper from the Windows image the preflight chose, on a 4 GiB type", async () => {
        const { recorded } = await build({}, windows);
        const helper = byName(recorded, "reset-helper", "aws:ec2/instance:Instance").inputs;
        assert.equal(helper.ami, HELPER_IMAGES.windows);
        assert.equal(helper.instanceType, "t3.medium");
        assert.equal(helper.metadataOptions.httpTokens, "required");
    });

    it("sends the Windows document (the PowerShell script, packed) with only volumeId and deviceName", async () => {
        const { recorded } = await build({}, windows);
        const content = JSON.parse(byName(recorded, "reset-reset-document").inputs.content);
        assert.deepEqual(Object.keys(content.parameters).sort(), ["deviceName", "volumeId"]);
        assert.equal(content.parameters.deviceName.default, "xvdf");
        const step = content.mainSteps[0];
        assert.equal(step.action, "aws:runPowerShellScript");
        const lines: string[] = step.inputs.runCommand;
        const packed = lines.slice(lines.indexOf("$packed = @'") + 1, lines.indexOf("'@")).join("");
        assert.equal(
            zlib.gunzipSync(Buffer.from(packed, "base64")).toString("utf8"),
            fs.readFileSync(SCRIPT_PATH, "utf8"),
        );
        const reset = byName(recorded, "reset-reset").inputs;
        assert.equal(reset.publicKey, "", "no SSH key goes to a Windows target");
    });

    it("exposes the password-enabled AMI, the agent and how to read the password; no key outputs", async () => {
        const { component, recorded } = await build({}, windows);
        assert.equal(await promiseOf(component.platform), "windows");
        assert.equal(await promiseOf(component.passwordEnabledImageId), "ami-0passwordenabled");
        assert.equal(await promiseOf(component.windowsAgent), "EC2Launch v2");
        assert.equal(await promiseOf(component.keyParameterName), undefined);
        assert.equal(await promiseOf(component.fingerprint), undefined);
        assert.deepEqual(await promiseOf(component.usersUpdated), []);
        assert.equal(await promiseOf(component.replacementInstanceId), undefined);
        const instructions = await promiseOf(component.passwordInstructions);
        assert.match(
            instructions!,
            /aws ec2 get-password-data --instance-id i-0123456789abcdef0 --priv-launch-key ops\.pem/,
        );
        assert.match(
            instructions!,
            /launch an instance from the password-enabled AMI ami-0passwordenabled with a key pair you own/,
        );
        assert.match(
            instructions!,
            /ami-0passwordenabled is a standing credential: anyone who may launch it gets the Administrator account/,
        );
        assert.equal(
            byName(recorded, "reset-release").inputs.retainPasswordEnabledImage,
            true,
            "kept by default, as the runbook does",
        );
    });

    it("with newKeyName, launches a replacement from the password-enabled AMI, placed as the target, kept by destroy", async () => {
        const { recorded, resourceOptions, component } = await build(
            { newKeyName: "my-new-key" },
            windows,
        );
        const replacement = byName(
            recorded,
            "reset-replacement",
            "aws:ec2/instance:Instance",
        ).inputs;
        assert.equal(replacement.ami, "ami-0passwordenabled");
        assert.equal(replacement.keyName, "my-new-key");
        assert.equal(replacement.instanceType, "m5.large");
        assert.equal(replacement.subnetId, "subnet-0target");
        assert.deepEqual(replacement.vpcSecurityGroupIds, ["sg-0target"]);
        assert.equal(replacement.iamInstanceProfile, "web-role");
        assert.equal(resourceOptions.get("reset-replacement")?.retainOnDelete, true);
        assert.equal(
            byName(recorded, "reset-release").inputs.waitForPasswordEnabledImage,
            true,
            "the AMI must be available to launch from",
        );
        assert.equal(
            byName(recorded, "reset-preflight").inputs.newKeyName,
            "my-new-key",
            "the preflight checks the key pair exists",
        );
        assert.equal(await promiseOf(component.replacementInstanceId), "reset-replacement-id");
        assert.match(
            (await promiseOf(component.passwordInstructions))!,
            /reset-replacement-id was launched from the password-enabled AMI ami-0passwordenabled with your key pair my-new-key/,
        );
    });

    it("tells the preflight which Linux-only arguments were set, so that a Windows target refuses them", async () => {
        const { recorded } = await build({ users: ["ec2-user"], keyType: "rsa" }, windows);
        assert.deepEqual(byName(recorded, "reset-preflight").inputs.linuxOnlyArguments, [
            "users",
            "keyType",
        ]);
    });

    it("refuses a malformed newKeyName before creating anything", () => {
        const recorded = installMocks(windows);
        assert.throws(
            () =>
                new ResetAccess("reset", { instanceId: TARGET.instanceId, newKeyName: " spaced " }),
            {
                message:
                    'newKeyName: " spaced " is not an EC2 key pair name; give the name of a key pair in the instance\'s region (aws ec2 describe-key-pairs), 1 to 255 ASCII characters.',
            },
        );
        assert.deepEqual(
            recorded.filter((r) => r.type !== "ec2-reset-access:index:ResetAccess"),
            [],
        );
    });
});
