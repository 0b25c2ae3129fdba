/** How the demo prints a deployment: types, resource lines, outputs, diagnostics, durations. */
import * as assert from "node:assert/strict";
import {
    diagnosticsBlock,
    displayType,
    outputsBlock,
    resourceLine,
    resourceSummary,
    urnLabel,
} from "../../demo/show";
import { isoSeconds } from "../../rehearsal/script-time";
import { shortKey } from "../../demo/key";
import { parseDemoOptions } from "../../demo/demo";

describe("demo: output", () => {
    it("shows types as the Pulumi CLI does, and dynamic resources by their own type", () => {
        assert.equal(displayType("aws:ec2/instance:Instance"), "aws:ec2:Instance");
        assert.equal(
            displayType("aws:iam/rolePolicyAttachment:RolePolicyAttachment"),
            "aws:iam:RolePolicyAttachment",
        );
        assert.equal(
            displayType("pulumi-nodejs:dynamic/ec2-reset-access:HoldTarget"),
            "ec2-reset-access:HoldTarget",
        );
        assert.equal(displayType("awsx:ec2:Vpc"), "awsx:ec2:Vpc");
        assert.equal(
            displayType("ec2-reset-access:index:ResetAccess"),
            "ec2-reset-access:index:ResetAccess",
        );
    });

    it("prints a created step with its time and what it means, a deleted one without", () => {
        const r = { type: "pulumi-nodejs:dynamic/ec2-reset-access:HoldTarget", name: "reset-stop" };
        assert.equal(
            resourceLine("+", r, 4.26, { type: 27, name: 12 }),
            " +  ec2-reset-access:HoldTarget  reset-stop    created    4.3 s  target stopped (journal tag set)",
        );
        assert.equal(
            resourceLine("-", r, 0.2, { type: 27, name: 12 }),
            " -  ec2-reset-access:HoldTarget  reset-stop    deleted    0.2 s",
        );
    });

    it("marks updates, replacements and deletes as the Pulumi CLI does, and sums them up", () => {
        const r = {
            type: "pulumi-nodejs:dynamic/ec2-reset-access:GeneratedSshKey",
            name: "reset-key",
        };
        assert.equal(
            resourceLine("~", r, 1, { type: 32, name: 9 }),
            " ~  ec2-reset-access:GeneratedSshKey  reset-key  updated    1.0 s  private key stored in Parameter Store only",
        );
        assert.equal(
            resourceLine("+-", r, 1, { type: 32, name: 9 }),
            " +- ec2-reset-access:GeneratedSshKey  reset-key  replaced    1.0 s  private key stored in Parameter Store only",
        );
        assert.equal(
            resourceLine("~", r, 1, { type: 32, name: 9 }, "read back: publicIp"),
            " ~  ec2-reset-access:GeneratedSshKey  reset-key  updated    1.0 s  read back: publicIp",
        );
        assert.equal(
            resourceSummary({ "+": 2, "~": 6, "+-": 1, "=": 8 }),
            "Resources:\n    + 2 created\n    ~ 6 updated\n    +- 1 replaced\n    8 unchanged",
        );
        assert.equal(resourceSummary({ "+-": 1 }, "planned"), "Resources:\n    +- 1 to replace");
        assert.equal(resourceSummary({}), "Resources:\n    no change");
    });

    it("prints the outputs sorted and aligned, values as JSON", () => {
        assert.equal(
            outputsBlock({
                usersUpdated: ["ec2-user"],
                keyParameterName: "/ec2rl/openssh/i-1/key",
                fingerprint: undefined,
            }),
            [
                "Outputs:",
                "    fingerprint     : undefined",
                '    keyParameterName: "/ec2rl/openssh/i-1/key"',
                '    usersUpdated    : ["ec2-user"]',
            ].join("\n"),
        );
    });

    it("groups warnings by resource and counts the info lines it leaves out", () => {
        const urn = "urn:pulumi:test::ec2-reset-access::ec2-reset-access:index:ResetAccess::reset";
        assert.equal(urnLabel(urn), "ec2-reset-access:index:ResetAccess (reset)");
        assert.equal(
            diagnosticsBlock([
                { severity: "warning", message: "its public IP will change", urn },
                { severity: "info", message: "still waiting" },
                { severity: "info", message: "still waiting" },
            ]),
            [
                "Diagnostics:",
                "  ec2-reset-access:index:ResetAccess (reset):",
                "    warning: its public IP will change",
                "  (2 info lines about long waits not shown)",
            ].join("\n"),
        );
        assert.equal(diagnosticsBlock([]), "");
    });

    it("reads SSM's elapsed times and shortens key lines", () => {
        assert.equal(isoSeconds("PT1.234S"), 1.234);
        assert.equal(isoSeconds("PT2M3.5S"), 123.5);
        assert.equal(isoSeconds(""), 0);
        assert.equal(
            shortKey("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAII/ckbaC9O7XogAcy9ZFp c@i"),
            "ssh-ed25519 AAAAC3NzaC1l…gAcy9ZFp c@i",
        );
        assert.equal(shortKey("ssh-ed25519 AAAAshort"), "ssh-ed25519 AAAAshort");
    });

    it("reads --keep and --time-scale", () => {
        assert.equal(parseDemoOptions([]).timeScale, 0.05);
        assert.equal(parseDemoOptions([]).keep, undefined);
        assert.equal(parseDemoOptions(["--keep", "/tmp/x"]).keep, "/tmp/x");
        assert.equal(parseDemoOptions(["--time-scale", "0.01"]).timeScale, 0.01);
        assert.throws(() => parseDemoOptions(["--keep"]), /--keep needs a value/);
    });
});
