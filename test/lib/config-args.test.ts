/** Stack config → ResetAccessArgs: the README's keys, typed. */
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { argsFromConfig } from "../../lib/config-args";

function configOf(values: Record<string, string>): pulumi.Config {
    pulumi.runtime.setAllConfig(
        Object.fromEntries(Object.entries(values).map(([k, v]) => [`ec2-reset-access:${k}`, v])),
    );
    return new pulumi.Config("ec2-reset-access");
}

describe("config parsing", () => {
    afterEach(() => pulumi.runtime.setAllConfig({}));

    it("reads every key with its type, and leaves the unset ones to the component's defaults", () => {
        const args = argsFromConfig(
            configOf({
                instanceId: "i-0123456789abcdef0",
                users: "ec2-user, deploy",
                keyType: "rsa",
                retainBackup: "false",
                allowAutoScaling: "true",
                rotation: "2",
            }),
        );
        assert.equal(args.instanceId, "i-0123456789abcdef0");
        assert.deepEqual(args.users, ["ec2-user", "deploy"]);
        assert.equal(args.keyType, "rsa");
        assert.equal(args.retainBackup, false);
        assert.equal(args.allowAutoScaling, true);
        assert.equal(args.rotation, "2");
        assert.equal(args.subnetId, undefined);
        assert.equal(args.publicKey, undefined);
    });

    it("takes users as auto, a comma list or a JSON list", () => {
        assert.equal(
            argsFromConfig(configOf({ instanceId: "i-0123456789abcdef0", users: "auto" })).users,
            "auto",
        );
        assert.deepEqual(
            argsFromConfig(configOf({ instanceId: "i-0123456789abcdef0", users: '["a","b"]' }))
                .users,
            ["a", "b"],
        );
    });

    it("names the missing instanceId", () => {
        assert.throws(
            () => argsFromConfig(configOf({})),
            /Missing required configuration variable 'ec2-reset-access:instanceId'/,
        );
    });

    it("refuses a keyType outside the allowed values, naming the key", () => {
        assert.throws(
            () => argsFromConfig(configOf({ instanceId: "i-0123456789abcdef0", keyType: "dsa" })),
            /ec2-reset-access:keyType. value .dsa. is not a legal enum value \(\["ed25519","rsa"\]\)/,
        );
    });
});
