/** The preflight for a Windows target: the helper's image, the arguments it refuses, its warnings. */
import * as assert from "node:assert/strict";
import { chooseHelperImage, windowsVersionIn } from "../../lib/helper-image";
import { evaluateTarget } from "../../lib/preflight-rules";
import { TargetFacts } from "../../lib/target-facts";

const windowsTarget: TargetFacts = {
    instanceId: "i-0123456789abcdef0",
    region: "us-east-1",
    found: true,
    state: "running",
    platform: "windows",
    windowsVersion: "2019",
    keyName: "ops",
    availabilityZone: "us-east-1a",
    instanceType: "m5.large",
    rootDeviceType: "ebs",
    rootDeviceName: "/dev/sda1",
    rootVolumeId: "vol-0123456789abcdef0",
    rootDeleteOnTermination: true,
    instanceStoreGiB: 0,
    stopProtection: false,
    marketplaceProductCodes: [],
    offeredHelperTypes: ["t3.medium"],
};

const parameter = (version: string) =>
    `/aws/service/ami-windows-latest/Windows_Server-${version}-English-Full-Base`;

describe("the preflight for a Windows target", () => {
    it("passes a Windows Server 2019 target with a key pair, on a Windows Server 2022 helper", () => {
        assert.deepEqual(evaluateTarget(windowsTarget, {}), {
            refusals: [],
            warnings: [],
            helperInstanceType: "t3.medium",
            helperImageParameter: parameter("2022"),
        });
    });

    it("never gives the helper the target's version (their disks would share a signature)", () => {
        for (const version of ["2016", "2019", "2022", "2025"]) {
            const chosen = chooseHelperImage("windows", version);
            assert.notEqual(chosen.windowsVersion, version);
            assert.equal(chosen.parameter, parameter(chosen.windowsVersion!));
        }
        assert.equal(chooseHelperImage("windows", "2022").parameter, parameter("2019"));
    });

    it("reads the version from AWS's AMI names and descriptions and from the SSM agent's platform name", () => {
        assert.equal(windowsVersionIn("Windows_Server-2019-English-Full-Base-2026.11.12"), "2019");
        assert.equal(
            windowsVersionIn(
                undefined,
                "Microsoft Windows Server 2016 with Desktop Experience Locale English AMI provided by Amazon",
            ),
            "2016",
        );
        assert.equal(windowsVersionIn("Microsoft Windows Server 2022 Datacenter"), "2022");
        assert.equal(
            windowsVersionIn("Windows_Server-2012-R2_RTM-English-64Bit-Base-2017.10.13"),
            "2012",
        );
        assert.equal(windowsVersionIn("golden-image-v42", "our web tier"), undefined);
    });

    it("warns when the target's version is unknown: the script's signature check is then the guard", () => {
        const { warnings, helperImageParameter } = evaluateTarget(
            { ...windowsTarget, windowsVersion: undefined },
            {},
        );
        assert.equal(helperImageParameter, parameter("2022"));
        assert.deepEqual(warnings, [
            "i-0123456789abcdef0: neither its AMI nor SSM names its Windows Server version; the helper runs Windows Server 2022. If the target runs 2022 too, their disks may share a signature: the script then stops before changing anything, and the target is repaired.",
        ]);
    });

    it("warns that a target without a key pair cannot decrypt its new password, unless newKeyName is set", () => {
        const noKey = { ...windowsTarget, keyName: undefined };
        assert.deepEqual(evaluateTarget(noKey, {}).warnings, [
            "i-0123456789abcdef0: it was launched without a key pair, so the password generated at next boot cannot be decrypted (GetPasswordData needs the key pair's private key); set newKeyName to launch a replacement from the password-enabled AMI with a key pair you own.",
        ]);
        assert.deepEqual(
            evaluateTarget(
                { ...noKey, newKeyPair: { name: "mine", found: true } },
                { newKeyName: "mine" },
            ).warnings,
            [],
        );
    });

    const refusals: Array<[string, Partial<TargetFacts>, object, string]> = [
        [
            "Linux-only arguments",
            {},
            { linuxOnlyArguments: ["publicKey", "users"] },
            "publicKey, users: i-0123456789abcdef0 runs Windows, and these apply to Linux targets only (an SSH key); remove them. For Windows a new Administrator password is generated at next boot; set newKeyName for a replacement instance with a key pair you own.",
        ],
        [
            "a key pair that does not exist",
            { newKeyPair: { name: "lost", found: false } },
            { newKeyName: "lost" },
            "newKeyName: key pair lost was not found in us-east-1; create or import it first (aws ec2 import-key-pair --key-name lost --public-key-material fileb://key.pub), then run again.",
        ],
        [
            "newKeyName for a Linux target",
            { platform: "linux", newKeyPair: { name: "mine", found: true } },
            { newKeyName: "mine" },
            "newKeyName: i-0123456789abcdef0 runs Linux, and newKeyName applies to Windows targets only (a replacement launched from the password-enabled AMI); remove it: a Linux target gets a new SSH key in place.",
        ],
        [
            "no 4 GiB helper type offered",
            { offeredHelperTypes: [] },
            {},
            "helperInstanceType: none of t3.medium, t3a.medium, t2.medium, m5.large, m6i.large is offered in us-east-1a; set helperInstanceType to a small x86_64 type offered there.",
        ],
    ];
    for (const [what, change, options, message] of refusals) {
        it(`refuses ${what}`, () =>
            assert.deepEqual(evaluateTarget({ ...windowsTarget, ...change }, options).refusals, [
                message,
            ]));
    }
});
